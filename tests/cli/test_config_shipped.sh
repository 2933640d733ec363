#!/bin/sh
# The shipped config/luadm.conf parses, and README's quick CSP example works
# through `luadm tree` on a temporary system root.
set -eu
: "${LUADM:?}" "${LUADM_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the shipped configuration, with its state dir redirected
sed 's#^state_dir = .*#state_dir = "'"$T"'/state"#' \
    "$LUADM_SRC/config/luadm.conf" > "$T/shipped.conf"
printf 'csp_path = { "%s/csp-scripts" }\n' "$LUADM_SRC" >> "$T/shipped.conf"
out=$("$LUADM" -q -c "$T/shipped.conf" tree get ./DevInfo/DmV) ||
	fail "shipped config: tree get failed"
[ "$out" = "1.2" ] || fail "shipped config: DmV is '$out'"

# a typo in a key is an error that names it
printf 'stat_dir = "/x"\n' > "$T/typo.conf"
if "$LUADM" -c "$T/typo.conf" tree get ./DevInfo/DmV 2>"$T/err"; then
	fail "a config with an unknown key was accepted"
fi
grep -q "unknown key 'stat_dir'" "$T/err" || fail "typo message: $(cat "$T/err")"

# README's example CSP
mkdir -p "$T/csp" "$T/root/etc"
sed -n '/^local csp = require "dm.csp"/,/^}/p' "$LUADM_SRC/README.md" \
    > "$T/csp/Motd.lua"
[ -s "$T/csp/Motd.lua" ] || fail "README example not found"
cat > "$T/ex.conf" <<CONF
state_dir = "$T/state2"
csp_path = { "$T/csp" }
sysroot = "$T/root"
CONF
"$LUADM" -q -c "$T/ex.conf" tree replace ./Vendor/Example/Motd/Text "hello" ||
	fail "README example: replace failed"
[ "$(cat "$T/root/etc/motd")" = "hello" ] || fail "README example: motd not written"
out=$("$LUADM" -q -c "$T/ex.conf" tree get ./Vendor/Example/Motd/Text)
[ "$out" = "hello" ] || fail "README example: get gave '$out'"
echo "1 passed, 0 failed"
