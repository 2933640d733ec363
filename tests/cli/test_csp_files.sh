#!/bin/sh
# The Files CSP (./Vendor/luadm/Files) on a temporary system root: the
# allow-list (none: every write 403), adding a managed file and writing
# it with its mode and owner, bad paths, modes and owners (400), order
# mistakes (409), failures (500), and Delete.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

F=./Vendor/luadm/Files
mkdir -p "$ROOT/etc/app"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n' \
    > "$ROOT/etc/passwd"
printf 'root:x:0:\nstaff:x:50:alice\nalice:x:1000:\n' > "$ROOT/etc/group"
printf 'keep me\n' > "$ROOT/etc/app/existing"
fake chown
use_real chmod
mode() { stat -c %a "$1"; }

# no allow-list: a record may be made, but no path may be set
expect $F ''
ok add $F/motd
expect $F motd
expect $F/motd 'Content/Mode/Owner/Path'
expect $F/motd/Mode 0644
expect $F/motd/Path ''
refuse 403 "$F/motd/Path: no file may be written: csp.Files.allow" \
    replace $F/motd/Path /etc/motd

conf 'csp = { Files = { allow = { "/etc/motd", "/etc/app/" } } }'
refuse 409 "$F/motd/Content: replace Path first" replace $F/motd/Content hi
ok replace $F/motd/Path /etc/motd
ok replace $F/motd/Content "$(printf 'Welcome\nto ws-42')"
[ "$(cat "$ROOT/etc/motd")" = "$(printf 'Welcome\nto ws-42')" ] ||
    fail "motd: $(cat "$ROOT/etc/motd")"
pass
[ "$(mode "$ROOT/etc/motd")" = 644 ] || fail "mode $(mode "$ROOT/etc/motd")"
pass
expect $F/motd/Content "$(printf 'Welcome\nto ws-42')"
not_called chown

# Mode and Owner apply to the written file at once
ok replace $F/motd/Mode 0600
[ "$(mode "$ROOT/etc/motd")" = 600 ] || fail "mode $(mode "$ROOT/etc/motd")"
pass
expect $F/motd/Mode 0600
ok replace $F/motd/Owner alice:staff
called "chown 1000:50 $ROOT/etc/motd"
ok replace $F/motd/Owner root
called "chown 0 $ROOT/etc/motd"
# a new content keeps mode and owner
: > "$CALLS"
ok replace $F/motd/Content 'New text'
[ "$(mode "$ROOT/etc/motd")" = 600 ] || fail "mode $(mode "$ROOT/etc/motd")"
pass
called "chown 0 $ROOT/etc/motd"
# a large value held in a file (tree replace --file) is written as well
printf 'line %s\n' $(seq 2000) > "$T/big"
ok replace $F/motd/Content --file "$T/big"
cmp -s "$T/big" "$ROOT/etc/motd" || fail "--file content differs"
pass

# bad values: 400 naming the node, nothing changes
refuse 400 "$F/motd/Mode: invalid value \"999\"" replace $F/motd/Mode 999
refuse 400 "$F/motd/Mode" replace $F/motd/Mode 0644x
refuse 400 "$F/motd/Owner: no user \"mallory\" in /etc/passwd" \
    replace $F/motd/Owner mallory
refuse 400 "$F/motd/Owner: no group \"wheel\" in /etc/group" \
    replace $F/motd/Owner alice:wheel
expect $F/motd/Mode 0600
expect $F/motd/Owner root
ok add $F/conf
refuse 400 "$F/conf/Path: no empty, \".\" or \"..\" parts" \
    replace $F/conf/Path /etc/app/../shadow
refuse 400 "$F/conf/Path: an absolute path" replace $F/conf/Path etc/motd
refuse 400 "$F/conf/Path: an absolute path" replace $F/conf/Path /etc/app/
refuse 403 "/etc/shadow is not in csp.Files.allow" \
    replace $F/conf/Path /etc/shadow
refuse 403 "/etc/motd.d/x is not in csp.Files.allow" \
    replace $F/conf/Path /etc/motd.d/x
refuse 400 "$F/bad id: an id is up to 64" add "$F/bad%20id"
refuse 418 "" add $F/motd
refuse 405 "" replace $F/conf x

# a written file does not move; a directory that is missing is 500
refuse 409 "$F/motd/Path: the file was written at /etc/motd" \
    replace $F/motd/Path /etc/app/motd
ok replace $F/conf/Path /etc/app/sub/app.conf
refuse 500 "No such file or directory" replace $F/conf/Content x
ok replace $F/conf/Path /etc/app/app.conf
ok replace $F/conf/Owner alice
fake chown 'echo "chown: invalid user: 1000" >&2; exit 1'
refuse 500 "$F/conf/Content: chown: invalid user: 1000" \
    replace $F/conf/Content 'x=1'
fake chown

# Delete removes a file it wrote, and only such a file
ok add $F/old
ok replace $F/old/Path /etc/app/existing
expect $F/old/Content 'keep me'
ok delete $F/old
[ -f "$ROOT/etc/app/existing" ] || fail "a file never written was removed"
pass
ok delete $F/motd
[ ! -e "$ROOT/etc/motd" ] || fail "/etc/motd stayed"
pass
refuse 404 "" get $F/motd/Path
expect $F conf
# the file whose chown failed was written, so Delete removes it
ok delete $F/conf
[ ! -e "$ROOT/etc/app/app.conf" ] || fail "app.conf stayed"
pass
expect $F ''
finish
