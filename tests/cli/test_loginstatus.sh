#!/bin/sh
# The LoginStatus CSP (./Vendor/luadm/LoginStatus), the hook behind the 1224
# LoginStatus alert: user / others / none from logind's sessions, with a
# fake loginctl reached through the configured runner.
set -eu
: "${LUADM:?}" "${LUADM_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); }
mkdir -p "$T/bin"
cat > "$T/bin/loginctl" <<'SH'
#!/bin/sh
[ "$*" = "list-sessions --no-legend" ] || exit 2
cat "$LOGINCTL_OUT"
SH
chmod +x "$T/bin/loginctl"
conf() {
	cat > "$T/c.conf" <<CONF
state_dir = "$T/state"
csp_path = { "$LUADM_SRC/csp-scripts" }
runner = { "env", "PATH=$T/bin:/usr/bin:/bin", "LOGINCTL_OUT=$T/out" }
$1
CONF
}
get() { "$LUADM" -q -c "$T/c.conf" tree get ./Vendor/luadm/LoginStatus; }

printf '    2 1000 alice seat0 tty2\n    5 0 root - pts/1\n' > "$T/out"
conf 'csp = { LoginStatus = { user = "alice" } }'
[ "$(get)" = "user" ] || fail "alice logged in: $(get)"; ok
conf 'csp = { LoginStatus = { user = "bob" } }'
[ "$(get)" = "others" ] || fail "only alice, enrolled bob: $(get)"; ok
conf ''
[ "$(get)" = "user" ] || fail "no enrolled user named, a person logged in: $(get)"; ok
printf '    5 0 root - pts/1\n' > "$T/out"
[ "$(get)" = "none" ] || fail "only root: $(get)"; ok
: > "$T/out"
[ "$(get)" = "none" ] || fail "nobody: $(get)"; ok
rm -f "$T/bin/loginctl"
[ "$(get)" = "none" ] || fail "no loginctl: $(get)"; ok
"$LUADM" -q -c "$T/c.conf" tree replace ./Vendor/luadm/LoginStatus x 2>/dev/null &&
	fail "replace allowed"; ok
echo "$n passed, 0 failed"
