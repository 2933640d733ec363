#!/bin/sh
# `luadm unenroll` against a server that cannot be reached: the
# unenrollment alert (recorded/15's type, Format int, Data 1, Mark
# critical) is queued, the session fails, the account stays with the alert
# pending; a second unenroll does not queue the alert twice.
set -eu
: "${LUADM:?}" "${LUADM_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); }
cat > "$T/prov.xml" <<'XML'
<wap-provisioningdoc version="1.1">
  <characteristic type="APPLICATION">
    <parm name="APPID" value="w7"/>
    <parm name="PROVIDER-ID" value="Leaving"/>
    <parm name="ADDR" value="https://127.0.0.1:1/dm"/>
    <parm name="INITIALBACKOFFTIME" value="10"/>
    <parm name="CONNRETRYFREQ" value="1"/>
  </characteristic>
</wap-provisioningdoc>
XML
printf 'state_dir = "%s/state"\ncsp_path = { "%s/csp-scripts" }\n' "$T" "$LUADM_SRC" > "$T/c.conf"
L() { "$LUADM" -q -c "$T/c.conf" "$@"; }
L bootstrap "$T/prov.xml" > /dev/null || fail "bootstrap"
if L unenroll 2> "$T/err"; then fail "unenroll succeeded with no server"; fi
grep -q "stays queued" "$T/err" || fail "message: $(cat "$T/err")"; ok
L alert --list > "$T/list"
grep -q "com.microsoft:mdm.unenrollment.userrequest" "$T/list" || fail "alert: $(cat "$T/list")"; ok
grep -q "critical" "$T/list" || fail "mark: $(cat "$T/list")"; ok
L tree get ./SyncML/DMAcc > "$T/acc" || fail "the account went"
[ -s "$T/acc" ] || fail "the account went"; ok
L unenroll 2>/dev/null || true
[ "$(L alert --list | grep -c unenrollment)" = 1 ] || fail "alert queued twice"; ok
echo "$n passed, 0 failed"
