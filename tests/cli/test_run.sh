#!/bin/sh
# `luadm run`: starts, runs a first session at once (here against a port
# where nothing listens, so it fails and backs off), answers a trigger from
# `luadm trigger`, reloads on SIGHUP keeping a CSP whose new version is
# broken, and stops on SIGTERM with exit 0 and its socket removed.
set -eu
: "${LUADM:?}" "${LUADM_SRC:?}"
T=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
n=0
fail() { echo "FAIL: $*" >&2; echo "--- log ---" >&2; cat "$T/log" >&2 || true; exit 1; }
ok() { n=$((n + 1)); }
# wait_for PATTERN: up to 20 s for the log to show it
wait_for() {
	i=0
	while ! grep -q "$1" "$T/log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "waited for '$1'"
		sleep 0.1
	done
}
mkdir -p "$T/csp"
cat > "$T/csp/Probe.lua" <<'LUA'
return { mount = "./Vendor/Test/Probe", get = function() return "v1" end }
LUA
cat > "$T/c.conf" <<CONF
state_dir = "$T/state"
csp_path = { "$LUADM_SRC/csp-scripts", "$T/csp" }
CONF
cat > "$T/prov.xml" <<'XML'
<wap-provisioningdoc version="1.1">
  <characteristic type="APPLICATION">
    <parm name="APPID" value="w7"/>
    <parm name="PROVIDER-ID" value="RunTest"/>
    <parm name="ADDR" value="https://127.0.0.1:1/dm"/>
    <parm name="INITIALBACKOFFTIME" value="200"/>
    <parm name="MAXBACKOFFTIME" value="400"/>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="APPSRV"/>
      <parm name="AAUTHTYPE" value="BASIC"/>
      <parm name="AAUTHNAME" value="dev"/>
      <parm name="AAUTHSECRET" value="pw"/>
    </characteristic>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="CLIENT"/>
      <parm name="AAUTHTYPE" value="DIGEST"/>
      <parm name="AAUTHNAME" value="srv"/>
      <parm name="AAUTHSECRET" value="pw2"/>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>
XML
"$LUADM" -q -c "$T/c.conf" bootstrap "$T/prov.xml" > /dev/null || fail "bootstrap"

"$LUADM" -c "$T/c.conf" run --interval 3600 > "$T/out" 2> "$T/log" &
pid=$!
wait_for "triggers: $T/state/luadm.sock"; ok
wait_for "session failed: .*127.0.0.1:1.*retrying in 200 ms"; ok
wait_for "retrying in 400 ms"; ok      # exponential, capped at MaxBackOffTime

# a trigger (and an unknown request, ignored)
"$LUADM" -c "$T/c.conf" trigger RunTest || fail "trigger"
wait_for "trigger: session with account"; ok

# package #0 on the socket: garbage refused, a signed one runs a session
# (which fails here: nothing listens) with the trigger's SessionID
. "$LUADM_SRC/tests/cli/lib_trigger.sh"
printf 'not a trigger at all, nowhere near' > "$T/garbage"
"$LUADM" -c "$T/c.conf" trigger --package "$T/garbage" || fail "trigger --package"
wait_for "package #0: trigger refused"; ok
: > "$T/nonce"
trigger "$T/p0" 12 1 1 0 6699 RunTest pw2 "$T/nonce"
"$LUADM" -c "$T/c.conf" trigger --package "$T/p0" || fail "trigger --package p0"
wait_for "package #0 from RunTest: session 1A2B now"; ok
wait_for "package #0 session with RunTest failed"; ok

# SIGHUP with a broken CSP: the previous version stays
printf 'return { mount = "./Vendor/Test/Probe", get = function( end }\n' > "$T/csp/Probe.lua"
kill -HUP "$pid"
wait_for "keeping the previous one"; ok
kill -0 "$pid" || fail "luadm run died on SIGHUP"; ok

# SIGTERM: exit 0, socket gone
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM"; ok
[ ! -e "$T/state/luadm.sock" ] || fail "socket left behind"; ok
grep -q "stopping (signal)" "$T/log" || fail "no stop message"; ok

# trigger without a running client: a clear error
if "$LUADM" -c "$T/c.conf" trigger 2> "$T/err"; then fail "trigger succeeded"; fi
grep -q "is .luadm run. running" "$T/err" || fail "trigger message: $(cat "$T/err")"; ok
# SIGTERM while a connection attempt waits out its backoff (60 s here):
# luadm neither retries nor waits; it exits 0 at once
sed -e 's|value="200"|value="60000"|; s|value="400"|value="120000"|' \
    -e 's|RunTest|RunSlow|' "$T/prov.xml" > "$T/slow.xml"
sed "s|$T/state|$T/slow|" "$T/c.conf" > "$T/slow.conf"
"$LUADM" -q -c "$T/slow.conf" bootstrap "$T/slow.xml" > /dev/null ||
    fail "bootstrap slow"
"$LUADM" -c "$T/slow.conf" run --interval 3600 > "$T/out" 2> "$T/log" &
pid=$!
wait_for "retrying in 60000 ms (1 of"; ok
t0=$(date +%s)
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM during a backoff"; ok
[ $(($(date +%s) - t0)) -le 5 ] ||
    fail "SIGTERM during a backoff took $(($(date +%s) - t0)) s"; ok
grep -q "retrying in 120000 ms" "$T/log" && fail "retried after SIGTERM"; ok

echo "$n passed, 0 failed"
