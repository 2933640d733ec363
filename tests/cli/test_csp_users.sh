#!/bin/sh
# The Users CSP (./Vendor/luadm/Users) on a temporary system root: the
# accounts of /etc/passwd and their groups, read only by default; with
# csp.Users.writable, Shell and Groups through a fake usermod (--root
# pointing at the system root), bad values, and a failing usermod.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

U=./Vendor/luadm/Users
cat > "$ROOT/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/bash
bob:x:1001:1001::/home/bob:/bin/sh
P
cat > "$ROOT/etc/group" <<'G'
root:x:0:
sudo:x:27:alice
adm:x:4:syslog,alice
staff:x:50:bob
alice:x:1000:
bob:x:1001:
G
printf '# /etc/shells\n/bin/sh\n/bin/bash\n/usr/bin/zsh\n' > "$ROOT/etc/shells"
fake usermod

expect $U 'root/daemon/alice/bob'
expect $U/alice 'Groups/Home/Shell/UID'
expect $U/alice/UID 1000
expect $U/alice/Home /home/alice
expect $U/alice/Shell /bin/bash
expect $U/alice/Groups adm,sudo
expect $U/bob/Groups staff
expect $U/root/Groups ''
ok stat $U/alice/UID
grep -qx 'Format: int' "$OUT" || fail "UID: $(cat "$OUT")"
pass
refuse 404 "" get $U/mallory/UID
refuse 404 "" get $U/alice/Password

# read only by default
refuse 405 "" replace $U/alice/Shell /bin/sh
refuse 405 "" replace $U/alice/Groups sudo
refuse 405 "" add $U/carol
refuse 405 "" delete $U/bob
not_called usermod

# writable: Shell and Groups through usermod, in the system root
conf 'csp = { Users = { writable = true } }'
ok replace $U/alice/Shell /usr/bin/zsh
called "usermod --root $ROOT/ --shell /usr/bin/zsh alice"
ok replace $U/bob/Groups staff,sudo
called "usermod --root $ROOT/ --groups staff,sudo bob"
ok replace $U/bob/Groups ''
called "usermod --root $ROOT/ --groups  bob"
refuse 405 "" replace $U/alice/UID 0
refuse 400 "$U/alice/Shell: \"/bin/fish\" is not listed in /etc/shells" \
    replace $U/alice/Shell /bin/fish
refuse 400 "$U/alice/Groups: no group \"wheel\" in /etc/group" \
    replace $U/alice/Groups sudo,wheel
refuse 400 "$U/alice/Groups: a comma-separated list" \
    replace $U/alice/Groups sudo,,adm
fake usermod 'echo "usermod: user alice is currently used by process 4242" >&2; exit 8'
refuse 500 "$U/alice/Shell: usermod: user alice is currently used by process 4242" \
    replace $U/alice/Shell /bin/sh

# no /etc/passwd: 500 naming the file
rm "$ROOT/etc/passwd"
refuse 500 "/etc/passwd: No such file or directory" get $U
finish
