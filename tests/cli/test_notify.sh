#!/bin/sh
# `luadm notify` through the real binary: package #0 triggers built here
# with printf and `openssl dgst -md5 -binary` (the builder is first checked
# against the vector of omadm-spec.md section 4), for accounts enrolled
# with `luadm bootstrap` (tests/data/notify). --check on a good trigger
# (file and stdin) prints its fields; a bad digest, an unknown server,
# garbage, truncations, a wrong version, future-use bits and oversized
# input are refused with exit 1 and a reason, never showing the secret.
# Nonce re-sync: refused while Ext/Microsoft/UseNonceResync is off, both
# forms accepted when on, and a real run stores the re-sync nonce for its
# session. A real run (no --check) against a closed port writes package 1
# into --trace (Alert 1200, SessionID 1A2B) and exits 1 like `luadm
# session`. Needs LUADM, LUADM_SRC, openssl, base64, od.
set -eu

: "${LUADM:?set LUADM to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
DATA="$LUADM_SRC/tests/data/notify"

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

cat > "$T/c.conf" <<EOF
state_dir = "$T/state"
csp_path = { "$LUADM_SRC/csp-scripts" }
EOF
L() { "$LUADM" -c "$T/c.conf" "$@"; }

. "$LUADM_SRC/tests/cli/lib_trigger.sh"

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# The nonces, raw.
printf '\000\000\000\000' > "$T/zero4"
printf '0x00000000' > "$T/text"
printf 'stale' > "$T/stale"

# The builder reproduces the vector of omadm-spec.md section 4.
VEC=ecf3ec6bc50efbf6e900f1a8f4d1e9c603180000001a2b08646d736572766572
trigger "$T/good" 12 1 1 0 $((0x1A2B)) dmserver srvsecret "$T/zero4"
[ "$(hex "$T/good")" = "$VEC" ] || fail "trigger builder: $(hex "$T/good")"

L bootstrap "$DATA/dmserver.xml" >/dev/null 2>"$T/err" ||
    fail "bootstrap dmserver.xml: $(cat "$T/err")"
L bootstrap "$DATA/resync.xml" >/dev/null 2>"$T/err" ||
    fail "bootstrap resync.xml: $(cat "$T/err")"

# expect_line FILE LINE: FILE has exactly this line.
expect_line() {
	grep -qxF -- "$2" "$1" || fail "expected line '$2' in: $(cat "$1")"
}

# no_secret FILE...: none of the secrets appears.
no_secret() {
	for f in "$@"; do
		if grep -q 'srvsecret\|resyncsecret\|clsecret' "$f"; then
			fail "a secret in $f: $(cat "$f")"
		fi
	done
}

# accept FILE NONCE-TEXT [ARGS]: --check accepts FILE (nonce line given).
accept() {
	if ! L notify --check "$1" >"$T/out" 2>"$T/err"; then
		fail "notify --check $1: refused: $(cat "$T/err")"
		return
	fi
	expect_line "$T/out" "nonce:      $2"
	no_secret "$T/out" "$T/err"
}

# refuse FILE TEXT: `notify --check FILE` exits 1 with TEXT on stderr and
# prints nothing on stdout.
refuse() {
	rc=0
	L notify --check "$1" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -ne 1 ]; then
		fail "notify --check $1: exit $rc, expected 1: $(cat "$T/err")"
	elif ! grep -qF -- "$2" "$T/err"; then
		fail "notify --check $1: expected '$2', got: $(cat "$T/err")"
	fi
	[ ! -s "$T/out" ] || fail "notify --check $1 printed: $(cat "$T/out")"
	no_secret "$T/out" "$T/err"
}

# --- a good trigger, from a file and from stdin
accept "$T/good" stored
expect_line "$T/out" "version:    12 (1.2)"
expect_line "$T/out" "ui-mode:    1 (background)"
expect_line "$T/out" "initiator:  server"
expect_line "$T/out" "session id: 1A2B"
expect_line "$T/out" "server id:  dmserver"
expect_line "$T/out" "vendor:     0 bytes"
if L notify --check - <"$T/good" >"$T/out" 2>"$T/err"; then
	expect_line "$T/out" "session id: 1A2B"
	expect_line "$T/out" "server id:  dmserver"
else
	fail "notify --check - (stdin): $(cat "$T/err")"
fi

# Version 11, user interaction, client-initiated, a vendor body.
trigger "$T/v11" 11 3 0 0 $((0x00F0)) dmserver srvsecret "$T/zero4" \
    "vendor data"
accept "$T/v11" stored
expect_line "$T/out" "version:    11 (1.1)"
expect_line "$T/out" "ui-mode:    3 (user interaction)"
expect_line "$T/out" "initiator:  client or user"
expect_line "$T/out" "session id: F0"
expect_line "$T/out" "vendor:     11 bytes"

# --- refused
# one bit of the digest flipped
{ byte $((0xed)); tail -c +2 "$T/good"; } > "$T/baddigest"
refuse "$T/baddigest" "refused: the digest does not match"
# one bit of the session id flipped: the digest no longer matches
{ head -c 22 "$T/good"; byte $((0x2a)); tail -c +24 "$T/good"; } \
    > "$T/badsid"
refuse "$T/badsid" "the digest does not match"
# the wrong secret
trigger "$T/badpass" 12 1 1 0 1 dmserver srvsecreT "$T/zero4"
refuse "$T/badpass" "the digest does not match"
# an unknown server
trigger "$T/unknown" 12 1 1 0 1 nosuchserver srvsecret "$T/zero4"
refuse "$T/unknown" "no account is enrolled with server nosuchserver"
# garbage
printf 'GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n' \
    > "$T/garbage"
refuse "$T/garbage" "trigger refused: version"
head -c 300 /dev/zero > "$T/zeros"
refuse "$T/zeros" "trigger refused: version 0"
# truncated
head -c 20 "$T/good" > "$T/short"
refuse "$T/short" "trigger refused: too short: 20 bytes"
head -c 28 "$T/good" > "$T/cut"
refuse "$T/cut" "the server identifier (8 bytes) runs past the end"
: > "$T/empty"
refuse "$T/empty" "too short: 0 bytes"
# versions 10 and 13, a future-use bit, an empty server id
trigger "$T/v10" 10 1 1 0 1 dmserver srvsecret "$T/zero4"
refuse "$T/v10" "version 10 is not 11 or 12"
trigger "$T/v13" 13 1 1 0 1 dmserver srvsecret "$T/zero4"
refuse "$T/v13" "version 13 is not 11 or 12"
trigger "$T/future" 12 1 1 $((1 << 26)) 1 dmserver srvsecret "$T/zero4"
refuse "$T/future" "the future-use bits are not zero"
trigger "$T/future0" 12 1 1 1 1 dmserver srvsecret "$T/zero4"
refuse "$T/future0" "the future-use bits are not zero"
trigger "$T/noid" 12 1 1 0 1 "" srvsecret "$T/zero4"
refuse "$T/noid" "the server identifier is empty"
# a control character in the server id
trigger "$T/ctl" 12 1 1 0 1 "$(printf 'dm\033server')" srvsecret \
    "$T/zero4"
refuse "$T/ctl" "not printable"
# no such file, and more than the 64 KiB cap on stdin
refuse "$T/nonexistent" "no such file"
rc=0
head -c 70000 /dev/zero | L notify --check - >"$T/out" 2>"$T/err" || rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "more than 65536 bytes" "$T/err"; then
	fail "oversized stdin: exit $rc: $(cat "$T/err")"
fi
# usage errors exit 2
rc=0
L notify --check >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "notify without FILE: exit $rc"
rc=0
L notify --bogus "$T/good" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "notify --bogus: exit $rc"

# --- nonce re-sync
RID=$(L tree get ./DMAcc 2>/dev/null | tr '/' '\n' | while read -r id; do
	if [ "$(L tree get "./DMAcc/$id/ServerID" 2>/dev/null)" = \
	    resync.example ]; then
		echo "$id"
	fi
done)
[ -n "$RID" ] || fail "no resync.example account"
MAP="$T/state/accounts/$RID.map"
trigger "$T/rs-stored" 12 1 1 0 $((0x51)) resync.example resyncsecret \
    "$T/stale"
trigger "$T/rs-bin" 12 1 1 0 $((0x52)) resync.example resyncsecret \
    "$T/zero4"
trigger "$T/rs-text" 12 1 1 0 $((0x53)) resync.example resyncsecret \
    "$T/text"
accept "$T/rs-stored" stored
refuse "$T/rs-bin" "UseNonceResync is off"
refuse "$T/rs-text" "UseNonceResync is off"
L tree replace "./DMAcc/$RID/Ext/Microsoft/UseNonceResync" true \
    >/dev/null 2>"$T/err" ||
    L tree add "./DMAcc/$RID/Ext/Microsoft/UseNonceResync" true \
    >/dev/null 2>"$T/err" || fail "UseNonceResync on: $(cat "$T/err")"
before=$(sha256sum < "$MAP")
accept "$T/rs-stored" stored
accept "$T/rs-bin" "re-sync (4 zero bytes)"
expect_line "$T/out" "session id: 52"
accept "$T/rs-text" 're-sync (the text "0x00000000")'
[ "$(sha256sum < "$MAP")" = "$before" ] || fail "--check changed the account"
# The wrong secret still fails with re-sync on.
trigger "$T/rs-bad" 12 1 1 0 1 resync.example wrong "$T/zero4"
refuse "$T/rs-bad" "nor with the re-sync nonce"

# --- real runs: the session starts (package 1 in the trace) and fails on
# the closed port; exit 1 as `luadm session` does.
rc=0
L notify --trace "$T/trace" "$T/good" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "notify good: exit $rc: $(cat "$T/err")"
grep -q "session failed" "$T/err" || fail "notify good: $(cat "$T/err")"
grep -q "trigger from dmserver accepted: session 1A2B" "$T/err" ||
    fail "notify good: not logged: $(cat "$T/err")"
no_secret "$T/out" "$T/err"
p1=$(find "$T/trace" -name '*client*' | sort | head -n 1)
if [ -z "$p1" ]; then
	fail "no package 1 in the trace: $(ls -R "$T/trace" 2>&1)"
else
	grep -q '<SessionID>1A2B</SessionID>' "$p1" ||
	    fail "package 1 SessionID: $(cat "$p1")"
	grep -q '<Data>1200</Data>' "$p1" || fail "package 1 Alert: $(cat "$p1")"
	! grep -q '<Data>1201</Data>' "$p1" || fail "package 1 has 1201"
fi
# A refused trigger runs no session.
rm -rf "$T/trace"
rc=0
L notify --trace "$T/trace" "$T/baddigest" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "notify baddigest: exit $rc"
[ -z "$(find "$T/trace" -type f 2>/dev/null)" ] ||
    fail "a refused trigger started a session"
grep -q "session failed" "$T/err" && fail "baddigest ran a session"
# A re-sync run leaves the re-sync nonce stored for the session: the same
# trigger now verifies with the stored nonce.
rc=0
L notify "$T/rs-text" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "notify rs-text: exit $rc: $(cat "$T/err")"
grep -q "session failed" "$T/err" || fail "notify rs-text: $(cat "$T/err")"
accept "$T/rs-text" stored

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "notify: all passed"
