#!/bin/sh
# Asynchronous Exec: a CSP answers 202 and starts a job with
# ctx:background; when the job ends a generic alert (1226) with its exit
# code and the Correlator is queued for the server; ctx:alert queues one
# directly. `luadm tree` acts as the server named by server_id.
set -eu
: "${LUADM:?}" "${LUADM_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); }
mkdir -p "$T/csp"
cat > "$T/csp/Jobs.lua" <<'LUA'
return {
  mount = "./Vendor/Test/Jobs",
  stat = function(ctx, path)
    if path == "" then return { format = "node", access = "Get" } end
    if path == "Run" or path == "Note" then return { format = "chr", access = "Exec" } end
  end,
  get = function(ctx, path) if path == "" then return { "Note", "Run" } end end,
  exec = function(ctx, path, data, correlator)
    if path == "Note" then
      return assert(ctx:alert { type = "com.example.note", format = "chr",
        data = data, correlator = correlator, mark = "warning" }) and 200
    end
    local ok, err = ctx:background({ "sh", "-c", "exit " .. data },
      { type = "com.example.job.done", correlator = correlator,
        source = "./Vendor/Test/Jobs/Run" })
    if not ok then return nil, 500, err end
    return 202
  end,
}
LUA
cat > "$T/prov.xml" <<'XML'
<wap-provisioningdoc version="1.1">
  <characteristic type="APPLICATION">
    <parm name="APPID" value="w7"/>
    <parm name="PROVIDER-ID" value="AsyncTest"/>
    <parm name="ADDR" value="https://127.0.0.1:1/dm"/>
  </characteristic>
</wap-provisioningdoc>
XML
cat > "$T/c.conf" <<CONF
state_dir = "$T/state"
csp_path = { "$T/csp" }
server_id = "AsyncTest"
CONF
L() { "$LUADM" -q -c "$T/c.conf" "$@"; }
L bootstrap "$T/prov.xml" > /dev/null || fail "bootstrap"

[ "$(L tree exec ./Vendor/Test/Jobs/Run 3 --correlator job-42)" = \
    "202 Accepted for processing" ] || fail "exec did not answer 202"; ok
i=0
until L alert --list 2>/dev/null | grep -q "com.example.job.done"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no alert after the job"; sleep 0.1
done; ok
L alert --list > "$T/list"
grep -q "job-42" "$T/list" || fail "correlator missing: $(cat "$T/list")"; ok
grep -q "int" "$T/list" || fail "format int missing: $(cat "$T/list")"; ok
grep -q '"3"\|: 3$\| 3$\|=3' "$T/list" || fail "exit code 3 missing: $(cat "$T/list")"; ok

L tree exec ./Vendor/Test/Jobs/Note "disk almost full" --correlator c-7 ||
	fail "ctx:alert exec"
L alert --list > "$T/list2"
grep -q "com.example.note" "$T/list2" || fail "ctx:alert: $(cat "$T/list2")"; ok
grep -q "disk almost full" "$T/list2" || fail "ctx:alert data"; ok

# without a server (no server_id): a clear failure, nothing queued
sed -i '/^server_id/d' "$T/c.conf"
if L tree exec ./Vendor/Test/Jobs/Note x 2> "$T/err"; then
	fail "ctx:alert without a server succeeded"; fi
grep -q "no server" "$T/err" || fail "message: $(cat "$T/err")"; ok
echo "$n passed, 0 failed"
