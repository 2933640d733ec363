#!/bin/sh
# The TimeZone CSP (./Vendor/luadm/TimeZone) on a temporary system root
# with a small zoneinfo: Get from the /etc/localtime link or
# /etc/timezone, Replace through a fake timedatectl or, without one, by
# the files; bad names and a failing timedatectl.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

Z=./Vendor/luadm/TimeZone/Name
zi=$ROOT/usr/share/zoneinfo
mkdir -p "$zi/Europe" "$zi/America/Argentina"
for z in Europe/Berlin Europe/Paris UTC America/Argentina/Buenos_Aires; do
	printf 'TZif2\0\0\0fake' > "$zi/$z"
done
printf 'not a zone file\n' > "$zi/Europe/Notes"
use_real readlink ln mv

# Get: the link wins, then /etc/timezone, then UTC
ln -s ../usr/share/zoneinfo/Europe/Berlin "$ROOT/etc/localtime"
printf 'Europe/Paris\n' > "$ROOT/etc/timezone"
expect $Z Europe/Berlin
rm "$ROOT/etc/localtime"
expect $Z Europe/Paris
rm "$ROOT/etc/timezone"
expect $Z UTC
printf 'TZif2 a copy, not a link' > "$ROOT/etc/localtime"
refuse 404 "is not a link into /usr/share/zoneinfo" get $Z
rm "$ROOT/etc/localtime"

# Replace through timedatectl; /etc/timezone, when there is one, follows
fake timedatectl
printf 'Europe/Paris\n' > "$ROOT/etc/timezone"
ok replace $Z America/Argentina/Buenos_Aires
called "timedatectl set-timezone America/Argentina/Buenos_Aires"
[ "$(cat "$ROOT/etc/timezone")" = America/Argentina/Buenos_Aires ] ||
    fail "/etc/timezone: $(cat "$ROOT/etc/timezone")"
pass

# a failing timedatectl: 500 with what it said, nothing else changed
fake timedatectl 'echo "Failed to set time zone: Access denied" >&2; exit 1'
refuse 500 "Failed to set time zone: Access denied" replace $Z Europe/Berlin
[ "$(cat "$ROOT/etc/timezone")" = America/Argentina/Buenos_Aires ] ||
    fail "/etc/timezone changed: $(cat "$ROOT/etc/timezone")"
pass
[ ! -e "$ROOT/etc/localtime" ] || fail "/etc/localtime was made"
pass

# no timedatectl: the files themselves
rm "$BIN/timedatectl"
: > "$CALLS"
ok replace $Z Europe/Berlin
[ "$(readlink "$ROOT/etc/localtime")" = ../usr/share/zoneinfo/Europe/Berlin ] ||
    fail "link: $(readlink "$ROOT/etc/localtime")"
pass
[ "$(cat "$ROOT/etc/timezone")" = Europe/Berlin ] ||
    fail "/etc/timezone: $(cat "$ROOT/etc/timezone")"
pass
expect $Z Europe/Berlin
ok replace $Z UTC
expect $Z UTC
[ "$(ls -A "$ROOT/etc" | tr '\n' ' ')" = "localtime timezone " ] ||
    fail "left over in /etc: $(ls -A "$ROOT/etc")"
pass

# timedatectl turned off in the configuration: the files, not timedatectl
fake timedatectl
conf 'csp = { TimeZone = { timedatectl = false } }'
ok replace $Z Europe/Paris
not_called timedatectl
expect $Z Europe/Paris

# bad names: 400 naming the node, and nothing runs
: > "$CALLS"
refuse 400 "$Z: unknown time zone \"Mars/Olympus\"" replace $Z Mars/Olympus
refuse 400 "$Z: \"../../etc/passwd\" is not a time zone name" \
    replace $Z ../../etc/passwd
refuse 400 "$Z: unknown time zone \"Europe/Notes\"" replace $Z Europe/Notes
refuse 400 "is not a time zone name" replace $Z 'Europe/Berlin '
refuse 400 "is not a time zone name" replace $Z ''
[ ! -s "$CALLS" ] || fail "programs ran for bad names: $(cat "$CALLS")"
pass
expect $Z Europe/Paris
finish
