#!/bin/sh
# The Hostname CSP (./Vendor/luadm/Hostname) on a temporary system root:
# Get and Replace of /etc/hostname, bad names refused with 400 before the
# file is touched, a failed write reported, and the running name.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

H=./Vendor/luadm/Hostname
printf 'ws-42\n' > "$ROOT/etc/hostname"

expect $H 'Current/Name'
expect $H/Name ws-42
expect $H/Current "$(uname -n)"

ok replace $H/Name build-07.example.org
[ "$(cat "$ROOT/etc/hostname")" = build-07.example.org ] ||
    fail "/etc/hostname: $(cat "$ROOT/etc/hostname")"
pass
expect $H/Name build-07.example.org
# written atomically: no temporary file is left behind
[ "$(ls -A "$ROOT/etc")" = hostname ] || fail "left over: $(ls -A "$ROOT/etc")"
pass

# bad names: 400 naming the node, and the file stays as it was
refuse 400 "$H/Name: only letters" replace $H/Name 'bad_name'
refuse 400 "$H/Name: a label cannot start or end" replace $H/Name 'x-.org'
refuse 400 "$H/Name: empty label" replace $H/Name 'a..b'
refuse 400 "$H/Name: a host name cannot be empty" replace $H/Name ''
refuse 400 "$H/Name: a host name has at most 64" replace $H/Name \
    "$(printf 'a%.0s' $(seq 65))"
expect $H/Name build-07.example.org

# formats and access
refuse 415 "format b64" replace $H/Name aGk= --format b64
refuse 405 "Replace" replace $H/Current other
refuse 405 "" delete $H/Name
refuse 404 "" get $H/Other

# no /etc/hostname: Get is 404 and says so; Replace creates it
rm "$ROOT/etc/hostname"
refuse 404 "/etc/hostname does not exist" get $H/Name
ok replace $H/Name fresh
expect $H/Name fresh

# a write that fails is 500 with the system's reason
rm -rf "$ROOT/etc"
refuse 500 "No such file or directory" replace $H/Name again
finish
