#!/bin/sh
# A mistake in a CSP is reported with the script's file and line: a
# handler that raises (the command answers 500 with file:line), a syntax
# error (the CSP does not load; its nodes answer 500 with file:line), and
# an administrator's script that replaces a shipped one at the same mount
# (a later csp_path directory wins).
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

H=./Vendor/luadm/Hostname
printf 'ws-42\n' > "$ROOT/etc/hostname"
expect $H/Name ws-42

# the override wins, and its mistake names its own file and line
cat > "$T/csp/MyHostname.lua" <<'LUA'
local csp = require "dm.csp"
return csp.define {
  mount = "./Vendor/luadm/Hostname",
  Name = {
    get = function()
      return dm.read_fiel("/etc/hostname")
    end,
  },
}
LUA
refuse 500 "$T/csp/MyHostname.lua:6: " get $H/Name
refuse 404 "" get $H/Current

# a syntax error: the script does not load and says where; its mount is
# unknown, so the shipped CSP keeps serving
cat > "$T/csp/MyHostname.lua" <<'LUA'
local csp = require "dm.csp"
return csp.define {
  mount = "./Vendor/luadm/Hostname"
  Name = { default = "x" },
}
LUA
"$LUADM" -c "$T/c.conf" tree get $H/Name > "$OUT" 2> "$ERR" ||
    fail "the shipped Hostname is gone: $(cat "$ERR")"
[ "$(cat "$OUT")" = ws-42 ] || fail "Name: $(cat "$OUT")"
pass
grep -qF "CSP MyHostname not loaded: $T/csp/MyHostname.lua:4:" "$ERR" ||
    fail "no file:line in: $(cat "$ERR")"
pass

# without the override, the shipped CSP is back
rm "$T/csp/MyHostname.lua"
expect $H/Name ws-42
finish
