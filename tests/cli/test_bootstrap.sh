#!/bin/sh
# `luadm bootstrap` through the real binary: the [MS-MDE2] sample document
# (summary, warnings for its placeholder certificates, the account as the
# DMAcc CSP shows it), certificates made here with openssl (CA bundle,
# client certificate and key), a second bootstrap that updates, usage
# errors, and documents that must be refused without touching the state.
# Needs LUADM (the binary) and LUADM_SRC (the source tree); openssl,
# iconv and sha256sum.
set -eu

: "${LUADM:?set LUADM to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
DATA="$LUADM_SRC/tests/data/bootstrap"

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

# The AccountID, computed here independently: "0x0000800c" + SHA-256 of the
# UTF-16LE ServerID, upper-case.
account_id() {
	printf '0x0000800c%s' "$(printf '%s' "$1" | iconv -f UTF-8 \
	    -t UTF-16LE | sha256sum | cut -c1-64 | tr a-f A-F)"
}
ID=$(account_id TestMDMServer)
known=0x0000800c7C442B5BAA5E3A62BD058BA4730A2687
known=${known}74D9D915F7A7E47F09CC8BB9540A2486
[ "$ID" = "$known" ] || fail "account_id helper: $ID"
ACC="$T/state/accounts"

# A listing of the whole state dir with checksums, to compare.
state_sum() {
	if [ -d "$T/state" ]; then
		find "$T/state" -exec ls -ld {} \; | awk '{print $1, $NF}' |
		    sort
		find "$T/state" -type f -exec sha256sum {} \; | sort
	fi
}

# expect_line FILE LINE: FILE has exactly this line.
expect_line() {
	grep -qxF -- "$2" "$1" || fail "expected line '$2' in: $(cat "$1")"
}

# --- the MS sample
if ! L bootstrap "$DATA/ms-sample.xml" >"$T/out" 2>"$T/err"; then
	fail "bootstrap ms-sample.xml: $(cat "$T/err")"
fi
expect_line "$T/out" "Account $ID (new)"
expect_line "$T/out" "  ServerID:        TestMDMServer"
expect_line "$T/out" "  Name:            Microsoft"
expect_line "$T/out" \
    "  Server address:  https://DM.contoso.com:443/omadm/Windows.ashx"
expect_line "$T/out" "  Client auth:     BASIC (CLCRED, as testclient)"
expect_line "$T/out" "  Server auth:     DIGEST (SRVCRED)"
expect_line "$T/out" "  CA certificates: none installed"
expect_line "$T/out" "  DMClient:        9 settings"
[ "$(grep -c '^luadm: warning: ' "$T/err")" -eq 2 ] ||
    fail "expected 2 warnings: $(cat "$T/err")"
grep -q "Root/System/031336C933CC7E228B88880D78824FB2909A0A2F.*skipped" \
    "$T/err" || fail "no warning for the Root placeholder: $(cat "$T/err")"
grep -q "My/User/F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462.*skipped" \
    "$T/err" || fail "no warning for the My placeholder: $(cat "$T/err")"
[ -f "$ACC/$ID.map" ] || fail "no account file $ACC/$ID.map"
[ "$(stat -c %a "$ACC/$ID.map")" = 600 ] || fail "account file mode"
[ ! -e "$ACC/$ID.ca.pem" ] || fail "a CA bundle from placeholders"

# The account through the DMAcc CSP.
get() {
	got=$(L tree get "$1" 2>"$T/gerr") ||
	    { fail "tree get $1: $(cat "$T/gerr")"; return 0; }
	[ "$got" = "$2" ] || fail "tree get $1: expected '$2', got '$got'"
}
A="./DMAcc/$ID"
get ./DMAcc "$ID"
get "$A/ServerID" TestMDMServer
get "$A/AppAuth/CLCRED/AAuthName" testclient
get "$A/AppAuth/CLCRED/AAuthType" BASIC
get "$A/AppAuth/SRVCRED/AAuthType" DIGEST
get "$A/Ext/Microsoft/MaxBackOffTime" 120000
get "$A/DMClient/Poll/IntervalForRemainingScheduledRetries" 1560
get "./SyncML/DMAcc/$ID/AppAddr/1/Addr" \
    https://DM.contoso.com:443/omadm/Windows.ashx

# --- real certificates, made here
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$T/root.key" -out "$T/root.pem" -days 2 \
    -subj '/CN=luadm cli root' >/dev/null 2>&1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$T/dev.key" -out "$T/dev.pem" -days 2 \
    -subj '/CN=luadm cli device' >/dev/null 2>&1
b64() { openssl x509 -in "$1" -outform DER | openssl base64 -A; }
thumb() {
	openssl x509 -in "$1" -outform DER | sha1sum | cut -c1-40 |
	    tr a-f A-F
}
sed -e "s|B64 encoded cert insert here|$(b64 "$T/root.pem")|" \
    -e "s|031336C933CC7E228B88880D78824FB2909A0A2F|$(thumb "$T/root.pem")|" \
    -e "s|B64EncodedCertInsertedHere|$(b64 "$T/dev.pem")|" \
    -e "s|F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462|$(thumb "$T/dev.pem")|" \
    "$DATA/ms-sample.xml" > "$T/real.xml"

if ! L bootstrap "$T/real.xml" >"$T/out" 2>"$T/err"; then
	fail "bootstrap real.xml: $(cat "$T/err")"
fi
expect_line "$T/out" "Account $ID (updated)"
expect_line "$T/out" "  CA certificates: 1 installed in $ACC/$ID.ca.pem"
expect_line "$T/out" "  Client cert:     $ACC/$ID.cert.pem"
grep -q -- '--client-key' "$T/err" ||
    fail "no warning that the client key is needed: $(cat "$T/err")"
openssl x509 -in "$ACC/$ID.ca.pem" -noout -subject 2>/dev/null |
    grep -q 'luadm cli root' || fail "the CA bundle is not readable"
openssl verify -CAfile "$ACC/$ID.ca.pem" "$T/root.pem" >/dev/null 2>&1 ||
    fail "the CA bundle does not verify the root"
cmp -s "$ACC/$ID.cert.pem" "$T/dev.pem" || fail "client certificate"
get "$A/Ext/luadm/CAFile" "$ACC/$ID.ca.pem"

# With the key: copied, 0600, no warning; SessionCounter kept.
L tree add "$A/Ext/luadm/SessionCounter" 41 >/dev/null 2>&1 ||
    fail "cannot set SessionCounter"
if ! L bootstrap --client-key "$T/dev.key" "$T/real.xml" >"$T/out" \
    2>"$T/err"; then
	fail "bootstrap --client-key: $(cat "$T/err")"
fi
expect_line "$T/out" "  Client key:      $ACC/$ID.key.pem"
! grep -q -- '--client-key' "$T/err" || fail "warned with the key given"
cmp -s "$ACC/$ID.key.pem" "$T/dev.key" || fail "client key not copied"
[ "$(stat -c %a "$ACC/$ID.key.pem")" = 600 ] || fail "client key mode"
get "$A/Ext/luadm/SessionCounter" 41

# --- usage
set +e
L bootstrap >/dev/null 2>&1
[ $? -eq 2 ] || fail "no FILE: exit status not 2"
L bootstrap a.xml b.xml >/dev/null 2>&1
[ $? -eq 2 ] || fail "two FILEs: exit status not 2"
L bootstrap --help >"$T/out" 2>&1
[ $? -eq 0 ] || fail "--help: exit status"
set -e
grep -q 'client-key' "$T/out" || fail "--help does not show --client-key"

# --- refused documents leave the state as it was
before=$(state_sum)
refuse() {	# refuse NAME EXPECTED-TEXT [--client-key KEY]
	name=$1
	want=$2
	shift 2
	if L bootstrap "$@" "$T/$name" >"$T/out" 2>"$T/err"; then
		fail "$name: accepted"
		return 0
	fi
	grep -qF -- "$T/$name" "$T/err" ||
	    fail "$name: the error does not name the file: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" ||
	    fail "$name: expected '$want' in: $(cat "$T/err")"
	[ "$(state_sum)" = "$before" ] || fail "$name: the state changed"
}
printf '%s\n' '<wap-provisioningdoc>' '<characteristic type="APPLICATION">' \
    '</wap-provisioningdoc>' > "$T/broken.xml"
refuse broken.xml "broken.xml: XML error at line 3"
sed 's|value="w7"|value="w4"|' "$DATA/ms-sample.xml" > "$T/now7.xml"
refuse now7.xml "no APPLICATION characteristic with APPID w7"
grep -v 'PROVIDER-ID' "$DATA/ms-sample.xml" > "$T/noid.xml"
refuse noid.xml "no PROVIDER-ID"
grep -v '"ADDR"' "$DATA/ms-sample.xml" > "$T/noaddr.xml"
refuse noaddr.xml "no ADDR"
{
	echo '<!DOCTYPE wap-provisioningdoc ['
	echo '  <!ENTITY x SYSTEM "file:///etc/passwd"> ]>'
	sed 's|value="Microsoft"|value="\&x;"|' "$DATA/ms-sample.xml"
} > "$T/xxe.xml"
refuse xxe.xml "entit"
cp "$T/real.xml" "$T/wrongkey.xml"
refuse wrongkey.xml "does not match" --client-key "$T/root.key"

if [ "$failures" -ne 0 ]; then
	echo "test_bootstrap: $failures failure(s)" >&2
	exit 1
fi
echo "test_bootstrap: ok"
