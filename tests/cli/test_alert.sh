#!/bin/sh
# `luadm alert` through the real binary: generic alerts (1226) queued for a
# bootstrapped account (tests/data/bootstrap/fleet-like.xml), listed,
# removed; ids that continue across runs; each invalid input refused with
# its message and the queue left byte for byte as it was; usage errors;
# no account, an unknown one, several; a corrupt queue file reported, not
# emptied; --now when the server cannot be reached (exit 1, the alert
# stays queued). Needs LUADM (the binary) and LUADM_SRC; sha256sum.
set -eu

: "${LUADM:?set LUADM to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
DATA="$LUADM_SRC/tests/data/bootstrap"
FLEET=0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077
Q="$T/state/alerts/$FLEET.map"
UNENROLL=com.microsoft:mdm.unenrollment.userrequest

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

# Until core/main.c dispatches `alert` (see the report of its author),
# there is nothing to test; once it does, this never triggers.
if L alert --help 2>&1 | grep -q "unknown command 'alert'"; then
	echo "SKIP: this luadm has no alert command yet"
	exit 0
fi

# run WANT_RC CMD...: runs L CMD..., stdout in $T/out, stderr in $T/err.
run() {
	want=$1
	shift
	set +e
	L "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || fail "luadm $*: exit $rc, not $want:" \
	    "$(cat "$T/err")"
	! grep -qE "Sanitizer|runtime error:" "$T/err" ||
	    fail "luadm $*: sanitizer report: $(cat "$T/err")"
}

# expect_err TEXT: stderr of the last run holds TEXT.
expect_err() {
	grep -qF -- "$1" "$T/err" || fail "expected '$1' on stderr, got:" \
	    "$(cat "$T/err")"
}

# expect_out TEXT: stdout of the last run is exactly TEXT.
expect_out() {
	[ "$(cat "$T/out")" = "$1" ] || fail "expected output '$1', got:" \
	    "$(cat "$T/out")"
}

queue_sum() {
	if [ -f "$Q" ]; then sha256sum "$Q"; else echo none; fi
}

# --- no account yet
run 1 alert --type com.example/A
expect_err "no account is enrolled"
run 1 alert --list
expect_err "no account is enrolled"
[ ! -e "$T/state/alerts" ] || fail "a refused alert made $T/state/alerts"

run 0 bootstrap "$DATA/fleet-like.xml"

# --- an empty queue lists nothing
run 0 alert --list
expect_out ""

# --- queue the unenrollment alert of recorded/15, and one with every field
run 0 alert --type "$UNENROLL" --format int --mark critical --data 1
expect_out 1
run 0 alert --type com.example.csp/Done --format xml --mark warning \
    --source ./Vendor/MSFT/Example/Job1 --correlator job-42 \
    --data "<r>a
b</r>" Fleet
expect_out 2
[ -f "$Q" ] || fail "no queue file $Q"
perm=$(stat -c %a "$Q")
[ "$perm" = 600 ] || fail "queue file mode $perm, not 600"

run 0 alert --list
sed '/^  Queued: /d' "$T/out" > "$T/list"
cat > "$T/want" <<EOF
alert 1
  Type:       $UNENROLL
  Format:     int
  Mark:       critical
  Data:       1
alert 2
  Type:       com.example.csp/Done
  Format:     xml
  Mark:       warning
  Source:     ./Vendor/MSFT/Example/Job1
  Correlator: job-42
  Data:       <r>a\nb</r>
EOF
cmp -s "$T/list" "$T/want" || fail "alert --list: $(diff "$T/want" "$T/list")"
n=$(grep -cE '^  Queued:     [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' \
    "$T/out" || true)
[ "$n" = 2 ] || fail "expected 2 Queued lines in UTC: $(cat "$T/out")"

# --- default format chr, long data shown cut with its length
long=$(head -c 300 /dev/zero | tr '\0' 'x')
run 0 alert --type com.example/Long --data "$long"
expect_out 3
run 0 alert --list Fleet
grep -qxF "  Data:       $(printf '%200s' '' | tr ' ' x)... (300 bytes)" \
    "$T/out" || fail "long data not cut: $(grep Data "$T/out")"
grep -A1 -xF "alert 3" "$T/out" | grep -qxF "  Type:       com.example/Long" ||
    fail "alert 3 missing: $(cat "$T/out")"
grep -A2 -xF "alert 3" "$T/out" | grep -qxF "  Format:     chr" ||
    fail "alert 3 has not the default format chr"

# --- remove; ids never come back, across runs
run 0 alert --remove 3 --remove 2
expect_out ""
run 1 alert --remove 2
expect_err "1 of the 1 alerts were not pending"
run 1 alert --remove abc
expect_err "'abc' is not an alert id"
run 0 alert --type com.example/Next
expect_out 4
run 0 alert --list
[ "$(grep -c '^alert ' "$T/out")" = 2 ] || fail "expected alerts 1 and 4"
grep -qxF "alert 4" "$T/out" || fail "alert 4 not listed"

# --- invalid input: refused with a clear message, the queue untouched
before=$(queue_sum)
# refuse MESSAGE ARGS...
refuse() {
	msg=$1
	shift
	run 1 alert "$@"
	expect_err "luadm: invalid alert: $msg"
	[ -z "$(cat "$T/out")" ] || fail "alert $*: printed $(cat "$T/out")"
	[ "$(queue_sum)" = "$before" ] || fail "alert $*: the queue changed"
}
refuse "the alert type holds a space" --type "a b"
refuse "the alert type holds '<'" --type "a<b>"
refuse "the alert type (Meta Type) is required" --type ""
refuse "the alert type is 256 bytes; at most 255" \
    --type "$(head -c 256 /dev/zero | tr '\0' t)"
refuse "unknown mark 'urgent' (fatal, critical, minor, warning," \
    --type a/b --mark urgent
refuse "unknown format 'text'" --type a/b --format text
refuse "format bin cannot be sent in XML: use b64" --type a/b --format bin
refuse "the data 'one' is not an integer (format int)" --type a/b \
    --format int --data one
refuse "the data 'maybe' is not true or false (format bool)" --type a/b \
    --format bool --data maybe
refuse "the data is not base64 (format b64)" --type a/b --format b64 \
    --data '!!'
refuse "format null takes no data" --type a/b --format null --data x
refuse "the data is not text XML can carry" --type a/b \
    --data "$(printf 'bell\a')"
head -c 65537 /dev/zero | tr '\0' d > "$T/big"
refuse "the data is 65537 bytes; at most 65536 are allowed" --type a/b \
    --data "$(cat "$T/big")"
refuse "invalid source URI '/abs'" --type a/b --source /abs
refuse "the correlator must have 1 to 255 bytes" --type a/b --correlator ""
# 64 KiB exactly is fine
run 0 alert --type com.example/Big --data "$(head -c 65536 "$T/big")"
expect_out 5

# --- usage errors: exit 2
run 2 alert
expect_err "--type TYPE, --list or --remove ID is required"
run 2 alert --list --type a/b
expect_err "do not mix"
run 2 alert --list --remove 1
expect_err "do not mix"
run 2 alert --format int
expect_err "--type TYPE is required"
run 2 alert --now
expect_err "--type TYPE is required"
run 2 alert --list Fleet extra
run 2 alert --bogus
run 0 alert --help
grep -qF "usage: luadm" "$T/out" || fail "alert --help prints no usage"

# --- accounts: unknown, several
run 1 alert --type a/b NoSuchServer
expect_err "no such account"
run 0 bootstrap "$DATA/ms-sample.xml"
run 1 alert --type a/b
expect_err "several accounts are enrolled: name the SERVERID"
run 0 alert --type com.example/Other TestMDMServer
expect_out 1
run 0 alert --list TestMDMServer
[ "$(grep -c '^alert ' "$T/out")" = 1 ] || fail "TestMDMServer's queue"
run 0 alert --list Fleet
[ "$(grep -c '^alert ' "$T/out")" = 3 ] || fail "Fleet's queue: $(cat "$T/out")"

# --- --now: the server cannot be reached: exit 1, the alert stays queued
run 0 tree replace "./SyncML/DMAcc/$FLEET/AppAddr/1/Addr" \
    https://127.0.0.1:1/mdm
run 0 tree replace "./SyncML/DMAcc/$FLEET/Ext/Microsoft/ConnRetryFreq" 1
run 0 tree replace "./SyncML/DMAcc/$FLEET/Ext/Microsoft/InitialBackOffTime" 10
run 1 alert --type com.example/Now --mark fatal --now Fleet
expect_out 6
expect_err "session failed"
expect_err "the alert stays queued for the next session"
run 0 alert --list Fleet
grep -qxF "alert 6" "$T/out" || fail "alert 6 not queued after --now"

# --- a corrupt queue is reported, never emptied or overwritten
cp "$Q" "$T/q.orig"
sed 's/com.example\/Next/com.example\/Nxxt/' "$T/q.orig" > "$T/q.bad"
cmp -s "$T/q.orig" "$T/q.bad" && fail "the corruption changed nothing"
cp "$T/q.bad" "$Q"
before=$(queue_sum)
run 1 alert --list Fleet
expect_err "$Q: corrupt map file"
run 1 alert --type com.example/After Fleet
expect_err "cannot queue the alert: $Q: corrupt map file"
run 1 alert --remove 1 Fleet
expect_err "corrupt map file"
[ "$(queue_sum)" = "$before" ] || fail "the corrupt queue was rewritten"
# the other account's queue is not affected
run 0 alert --list TestMDMServer
grep -qxF "alert 1" "$T/out" || fail "TestMDMServer's queue unreadable"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "ok"
