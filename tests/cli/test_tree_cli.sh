#!/bin/sh
# `luadm tree`: every verb through the real binary, the error line format
# "luadm: URI: reason (status)", exit codes, and a value passed as a file
# (a luadm.Blob) without being read into memory by the core.
set -eu
: "${LUADM:?}" "${LUADM_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); }
mkdir -p "$T/csp" "$T/root/etc"
cat > "$T/csp/Notes.lua" <<'LUA'
local csp = require "dm.csp"
return csp.define {
  mount = "./Vendor/Test/Notes",
  Title = { access = "Get Replace", format = "chr", store = true, default = "none" },
  Count = { access = "Get Replace", format = "int", store = true, default = "0" },
  Items = { format = "node", access = "Get Add Delete", store = true },
  Upload = { access = "Replace", format = "bin",
    replace = function(ctx, n, v)
      assert(dm.is_blob(v), "expected a Blob")
      assert(dm.write_file_atomic("/etc/upload", v:read()))
      dm.log("info", "blob of " .. v:size() .. " bytes")
    end },
  Hello = { access = "Exec",
    exec = function(ctx, n, data) dm.write_file_atomic("/etc/hello", data or "") end },
  Slow = { access = "Exec", exec = function() return 202 end },
}
LUA
cat > "$T/c.conf" <<CONF
state_dir = "$T/state"
csp_path = { "$T/csp" }
sysroot = "$T/root"
CONF
L() { "$LUADM" -q -c "$T/c.conf" "$@"; }

[ "$(L tree get ./Vendor/Test/Notes/Title)" = "none" ] || fail "default"; ok
L tree replace ./Vendor/Test/Notes/Title "Hello world" || fail "replace"
[ "$(L tree get ./Vendor/Test/Notes/Title)" = "Hello world" ] || fail "persisted"; ok
[ "$(L tree get ./Vendor/Test/Notes)" = "Count/Hello/Items/Slow/Title/Upload" ] ||
	fail "interior get: $(L tree get ./Vendor/Test/Notes)"; ok
L tree add ./Vendor/Test/Notes/Items/a/b "deep" || fail "implicit add"
[ "$(L tree list ./Vendor/Test/Notes/Items)" = "a" ] || fail "list"; ok
[ "$(L tree get ./Vendor/Test/Notes/Items/a/b)" = "deep" ] || fail "deep get"; ok
[ "$(L tree dump ./Vendor/Test/Notes/Items)" = "./Vendor/Test/Notes/Items/
./Vendor/Test/Notes/Items/a/
./Vendor/Test/Notes/Items/a/b = deep" ] || fail "dump: $(L tree dump ./Vendor/Test/Notes/Items)"; ok
L tree delete ./Vendor/Test/Notes/Items/a || fail "delete"
[ -z "$(L tree list ./Vendor/Test/Notes/Items)" ] || fail "delete removed the subtree"; ok
L tree stat ./Vendor/Test/Notes/Count | grep -qx "Format: int" || fail "stat"; ok

# errors: the line names the URI, the reason and the status; exit 1
if L tree get ./Vendor/Test/Notes/Nope 2>"$T/err"; then fail "404 exit 0"; fi
grep -q '^luadm: ./Vendor/Test/Notes/Nope: .*(404)$' "$T/err" || fail "404 line: $(cat "$T/err")"; ok
if L tree replace ./Vendor/Test/Notes/Count abc 2>"$T/err"; then fail "400 exit 0"; fi
grep -q '(400)$' "$T/err" || fail "400 line: $(cat "$T/err")"; ok
if L tree replace ./Vendor/Test/Notes/Items x 2>"$T/err"; then fail "405 exit 0"; fi
grep -q '(405)$' "$T/err" || fail "405 line: $(cat "$T/err")"; ok
if L tree add ./Vendor/Test/Notes/Title x 2>"$T/err"; then fail "418 exit 0"; fi
grep -q '(418)$' "$T/err" || fail "418 line: $(cat "$T/err")"; ok
if L tree get /Vendor 2>"$T/err"; then fail "leading / accepted"; fi
grep -q '(400)$' "$T/err" || fail "400 for /: $(cat "$T/err")"; ok
if L tree get ./Vendor/Other 2>"$T/err"; then fail "unmounted"; fi
grep -q '(404)$' "$T/err" || fail "unmounted 404"; ok
set +e
L tree frobnicate ./X 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown verb exit $rc"; ok

# exec, and 202 printed
L tree exec ./Vendor/Test/Notes/Hello "hi there" || fail "exec"
[ "$(cat "$T/root/etc/hello")" = "hi there" ] || fail "exec data"; ok
[ "$(L tree exec ./Vendor/Test/Notes/Slow)" = "202 Accepted for processing" ] ||
	fail "202 shown"; ok

# --file: the CSP gets a Blob
head -c 300000 /dev/urandom > "$T/big.bin"
L tree replace ./Vendor/Test/Notes/Upload --file "$T/big.bin" || fail "--file"
cmp -s "$T/big.bin" "$T/root/etc/upload" || fail "--file content"; ok
if L tree replace ./Vendor/Test/Notes/Upload --file "$T/missing" 2>"$T/err"; then
	fail "missing --file accepted"; fi
grep -q "missing" "$T/err" || fail "missing --file message"; ok

"$LUADM" --help | grep -q "tree get" || fail "--help"; ok
"$LUADM" --version | grep -q "^luadm " || fail "--version"; ok
echo "$n passed, 0 failed"
