#!/bin/sh
# The DMAcc CSP (csp-scripts/DMAcc.lua) through the real binary: two
# accounts made by `luadm bootstrap`, seen by the local administrator
# (`luadm tree`) and by a server (configuration server_id, and `luadm
# replay --server-id` with Fleet's mid-session credential rekey and an
# Atomic that must roll back). Needs LUADM and LUADM_SRC.
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

# writeconf FILE [SERVER_ID]
writeconf() {
	{
		echo "state_dir = \"$T/state\""
		echo "csp_path = { \"$LUADM_SRC/csp-scripts\" }"
		[ $# -lt 2 ] || echo "server_id = \"$2\""
	} > "$1"
}
writeconf "$T/admin.conf"
writeconf "$T/fleet.conf" Fleet
L() { "$LUADM" -c "$T/admin.conf" "$@"; }
S() { "$LUADM" -c "$T/fleet.conf" "$@"; }

TEST=0x0000800c7C442B5BAA5E3A62BD058BA4730A268774D9D915F7A7E47F09CC8BB9540A2486
FLEET=0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077

L bootstrap "$DATA/ms-sample.xml" >/dev/null 2>&1 || fail "bootstrap ms"
L bootstrap "$DATA/fleet-like.xml" >/dev/null 2>&1 || fail "bootstrap fleet"

# expect WHO URI VALUE: `tree get URI` as WHO (L or S) prints VALUE.
expect() {
	if ! got=$("$1" tree get "$2" 2>"$T/err"); then
		fail "$1 tree get $2: $(cat "$T/err")"
	elif [ "$got" != "$3" ]; then
		fail "$1 tree get $2: expected '$3', got '$got'"
	fi
}
# refuse STATUS WHO ARGS...: `tree ARGS` as WHO fails with STATUS.
refuse() {
	status=$1
	who=$2
	shift 2
	if "$who" tree "$@" >"$T/out" 2>"$T/err"; then
		fail "$who tree $*: succeeded, expected $status"
	elif ! grep -q "($status)" "$T/err"; then
		fail "$who tree $*: expected $status, got: $(cat "$T/err")"
	fi
}
# ok WHO ARGS...: `tree ARGS` as WHO succeeds.
ok() {
	who=$1
	shift
	"$who" tree "$@" >"$T/out" 2>"$T/err" ||
	    fail "$who tree $*: $(cat "$T/err")"
}

# The administrator sees every account, under all three mounts.
expect L ./DMAcc "$TEST/$FLEET"
expect L ./Vendor/MSFT/DMAcc "$TEST/$FLEET"
expect L ./SyncML/DMAcc "$TEST/$FLEET"
expect L "./DMAcc/$TEST" "AppAddr/AppAuth/AppID/DMClient/Ext/Name/ServerID"
expect L "./DMAcc/$TEST/AppAuth/CLCRED" \
    "AAuthData/AAuthLevel/AAuthName/AAuthSecret/AAuthType"
expect L "./DMAcc/$TEST/AppAuth/CLCRED/AAuthName" testclient
expect L "./DMAcc/$FLEET/AppAddr/1/Port/1/PortNbr" 443
expect L "./DMAcc/$FLEET/ServerID" Fleet

# Secrets have no Get; formats.
refuse 405 L get "./DMAcc/$TEST/AppAuth/CLCRED/AAuthSecret"
refuse 405 L get "./DMAcc/$TEST/AppAuth/SRVCRED/AAuthData"
ok L stat "./DMAcc/$TEST/AppAuth/SRVCRED/AAuthData"
grep -qx 'Format: bin' "$T/out" || fail "AAuthData format: $(cat "$T/out")"
grep -qx 'Access: Add Delete Replace' "$T/out" ||
    fail "AAuthData access: $(cat "$T/out")"
ok L stat "./DMAcc/$TEST/ServerID"
grep -qx 'Access: Get' "$T/out" || fail "ServerID access: $(cat "$T/out")"

# Replace, with checks; the account file changes at once.
ok L replace "./DMAcc/$TEST/AppAuth/CLCRED/AAuthType" DIGEST
expect L "./DMAcc/$TEST/AppAuth/CLCRED/AAuthType" DIGEST
refuse 400 L replace "./DMAcc/$TEST/AppAuth/CLCRED/AAuthType" NTLM
refuse 400 L replace "./DMAcc/$TEST/AppAuth/CLCRED/AAuthLevel" SRVCRED
refuse 400 L replace "./DMAcc/$TEST/Ext/Microsoft/InitialBackOffTime" soon
ok L replace "./DMAcc/$TEST/Ext/Microsoft/InitialBackOffTime" 16000
expect L "./DMAcc/$TEST/Ext/Microsoft/InitialBackOffTime" 16000
refuse 405 L replace "./DMAcc/$TEST/ServerID" Other
refuse 404 L replace "./DMAcc/$TEST/Nope" x
ok L replace "./DMAcc/$TEST/AppAuth/SRVCRED/AAuthSecret" n3w
grep -q 'n3w' "$T/state/accounts/$TEST.map" || fail "secret not saved"

# Add and Delete below an account; an account itself stays.
ok L add "./DMAcc/$TEST/Ext/Custom/Deep" value
expect L "./DMAcc/$TEST/Ext/Custom/Deep" value
ok L add "./DMAcc/$TEST/Ext/Empty"
expect L "./DMAcc/$TEST/Ext/Empty" ""
refuse 418 L add "./DMAcc/$TEST/Name" x
ok L delete "./DMAcc/$TEST/Ext/Custom"
refuse 404 L get "./DMAcc/$TEST/Ext/Custom/Deep"
refuse 405 L delete "./DMAcc/$TEST"
refuse 405 L delete ./DMAcc
refuse 405 L add ./DMAcc/NewAccount

# A server sees only its own account.
expect S ./DMAcc "$FLEET"
expect S ./SyncML/DMAcc "$FLEET"
refuse 404 S get "./DMAcc/$TEST"
refuse 404 S get "./DMAcc/$TEST/ServerID"
refuse 404 S replace "./SyncML/DMAcc/$TEST/Name" x
expect S "./DMAcc/$FLEET/Name" "Fleet Device Management"
# ... and may not change the local settings.
ok L add "./DMAcc/$FLEET/Ext/luadm/Query" "a=1"
expect S "./DMAcc/$FLEET/Ext/luadm/Query" "a=1"
refuse 405 S replace "./DMAcc/$FLEET/Ext/luadm/Query" "a=2"
refuse 405 S delete "./DMAcc/$FLEET/Ext"

# Fleet rekeys the credentials mid-session, then sends an Atomic whose
# second Replace is bad: the first one is rolled back.
A="./SyncML/DMAcc/$FLEET"
cat > "$T/msg.xml" <<EOF
<SyncML xmlns="SYNCML:SYNCML1.2">
  <SyncHdr>
    <VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>
    <SessionID>1</SessionID><MsgID>1</MsgID>
    <Target><LocURI>DEVICE</LocURI></Target>
    <Source><LocURI>https://fleet.example.com/mdm</LocURI></Source>
  </SyncHdr>
  <SyncBody>
    <Replace><CmdID>rekey-credentials-username</CmdID><Item>
      <Target><LocURI>$A/AppAuth/CLCRED/AAuthName</LocURI></Target>
      <Meta><Format xmlns="syncml:metinf">chr</Format></Meta>
      <Data>fleet-device-7</Data></Item></Replace>
    <Replace><CmdID>rekey-credentials-password</CmdID><Item>
      <Target><LocURI>$A/AppAuth/CLCRED/AAuthSecret</LocURI></Target>
      <Meta><Format xmlns="syncml:metinf">chr</Format></Meta>
      <Data>s3cr3t-42</Data></Item></Replace>
    <Atomic><CmdID>3</CmdID>
      <Replace><CmdID>4</CmdID><Item>
        <Target><LocURI>$A/Name</LocURI></Target><Data>Changed</Data>
      </Item></Replace>
      <Replace><CmdID>5</CmdID><Item>
        <Target><LocURI>$A/AppAuth/CLCRED/AAuthType</LocURI></Target>
        <Data>NTLM</Data></Item></Replace>
    </Atomic>
    <Get><CmdID>6</CmdID><Item>
      <Target><LocURI>./DMAcc/$TEST/Name</LocURI></Target></Item></Get>
    <Final/>
  </SyncBody>
</SyncML>
EOF
if ! L replay --server-id Fleet "$T/msg.xml" >"$T/reply" 2>"$T/err"; then
	fail "replay: $(cat "$T/err")"
fi
# status CMDREF: the Data of the Status answering CmdRef.
status() {
	tr -d '\n' < "$T/reply" | sed 's|<Status>|\n&|g' |
	    grep "<CmdRef>$1</CmdRef>" | sed 's|.*<Data>\([0-9]*\)</Data>.*|\1|'
}
[ "$(status rekey-credentials-username)" = 200 ] ||
    fail "rekey username: $(status rekey-credentials-username)"
[ "$(status rekey-credentials-password)" = 200 ] ||
    fail "rekey password: $(status rekey-credentials-password)"
[ "$(status 3)" = 507 ] || fail "Atomic: $(status 3)"
[ "$(status 4)" = 216 ] || fail "rolled back Replace: $(status 4)"
[ "$(status 5)" = 400 ] || fail "bad Replace: $(status 5)"
[ "$(status 6)" = 404 ] || fail "Get of another server's account: $(status 6)"
expect L "./DMAcc/$FLEET/AppAuth/CLCRED/AAuthName" fleet-device-7
grep -q 's3cr3t-42' "$T/state/accounts/$FLEET.map" || fail "rekey secret"
expect L "./DMAcc/$FLEET/Name" "Fleet Device Management"
expect L "./DMAcc/$FLEET/AppAuth/CLCRED/AAuthType" DIGEST

if [ "$failures" -ne 0 ]; then
	echo "test_dmacc: $failures failure(s)" >&2
	exit 1
fi
echo "test_dmacc: ok"
