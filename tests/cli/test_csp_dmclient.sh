#!/bin/sh
# The DMClient CSP (csp-scripts/DMClient.lua) through the real binary: two
# accounts made by `luadm bootstrap` from documents with a DMClient
# characteristic, seen by the local administrator and by a server
# (configuration server_id, and `luadm replay --server-id`): the values
# bootstrap stored, Windows' defaults, Replace with checks (and the same
# keys through ./SyncML/DMAcc), HWDevID, another server's provider hidden,
# Unenroll (the 1226 alert queued, the account marked), an Atomic rolled
# back, and `luadm ddf`. Needs LUADM and LUADM_SRC.
set -eu

: "${LUADM:?set LUADM to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
DATA="$LUADM_SRC/tests/data/bootstrap"
passed=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
pass() {
	passed=$((passed + 1))
}

mkdir -p "$T/root/etc"
echo 0123456789abcdef0123456789abcdef > "$T/root/etc/machine-id"

# writeconf FILE [SERVER_ID [LUA...]]
writeconf() {
	f=$1
	shift
	{
		echo "state_dir = \"$T/state\""
		echo "csp_path = { \"$LUADM_SRC/csp-scripts\" }"
		echo "sysroot = \"$T/root\""
		if [ $# -gt 0 ]; then
			[ -z "$1" ] || echo "server_id = \"$1\""
			shift
		fi
		for line in "$@"; do
			echo "$line"
		done
	} > "$f"
}
writeconf "$T/admin.conf"
writeconf "$T/fleet.conf" Fleet
# L: the local administrator; S: the server Fleet
L() { "$LUADM" -q -c "$T/admin.conf" "$@"; }
S() { "$LUADM" -q -c "$T/fleet.conf" "$@"; }

# expect WHO URI VALUE: `tree get URI` as WHO prints exactly VALUE.
expect() {
	if ! got=$("$1" tree get "$2" 2>"$T/err"); then
		fail "$1 tree get $2: $(cat "$T/err")"
	fi
	[ "$got" = "$3" ] || fail "$1 tree get $2: expected '$3', got '$got'"
	pass
}
# ok WHO ARGS...: `tree ARGS` as WHO succeeds (its output in $T/out).
ok() {
	who=$1
	shift
	"$who" tree "$@" >"$T/out" 2>"$T/err" ||
	    fail "$who tree $*: $(cat "$T/err")"
	pass
}
# refuse STATUS TEXT WHO ARGS...: `tree ARGS` as WHO fails with (STATUS)
# and a message holding TEXT.
refuse() {
	status=$1
	text=$2
	who=$3
	shift 3
	if "$who" tree "$@" >"$T/out" 2>"$T/err"; then
		fail "$who tree $*: succeeded, expected $status"
	fi
	grep -qF "($status)" "$T/err" ||
	    fail "$who tree $*: expected $status, got: $(cat "$T/err")"
	grep -qF -- "$text" "$T/err" ||
	    fail "$who tree $*: expected '$text' in: $(cat "$T/err")"
	pass
}
# has TEXT: the last output holds the line TEXT.
has() {
	grep -qxF -- "$1" "$T/out" || fail "expected line '$1' in: $(cat "$T/out")"
	pass
}

# Two accounts: TestMDMServer (Microsoft's sample: UPN, Poll, EntDeviceName)
# and Fleet (EntDMID, SignedEntDMID, Poll).
cp "$DATA/ms-sample.xml" "$DATA/fleet-like.xml" "$T/"
L bootstrap "$T/ms-sample.xml" >/dev/null 2>&1 || fail "bootstrap ms-sample"
L bootstrap "$T/fleet-like.xml" >/dev/null 2>&1 || fail "bootstrap fleet"
TEST=0x0000800c7C442B5BAA5E3A62BD058BA4730A268774D9D915F7A7E47F09CC8BB9540A2486
FLEET=0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077
[ -f "$T/state/accounts/$FLEET.map" ] || fail "no Fleet account"
D=./Vendor/MSFT/DMClient
PF=$D/Provider/Fleet
PT=$D/Provider/TestMDMServer

# --- the tree, as the administrator: every provider
ok L list $D
[ "$(tr '\n' ' ' < "$T/out")" = "HWDevID Provider Unenroll " ] ||
    fail "children of $D: $(cat "$T/out")"
expect L $D/Provider "Fleet/TestMDMServer"
expect L ./Device/Vendor/MSFT/DMClient/Provider "Fleet/TestMDMServer"
expect L $PF "EntDMID/EntDeviceName/ExchangeID/HWDevID/MaxSyncApplicationVersion/Poll/Push/SyncApplicationVersion/UPN/Unenroll"
expect L $PF/Poll "AllUsersPollOnFirstLogin/IntervalForFirstSetOfRetries/IntervalForRemainingScheduledRetries/IntervalForSecondSetOfRetries/NumberOfFirstRetries/NumberOfRemainingScheduledRetries/NumberOfSecondRetries/PollOnLogin"
expect L $PF/Push "ChannelURI/PFN/Status"
# the device scope only, as on Windows
refuse 404 "no such node" L get ./User/Vendor/MSFT/DMClient/Provider
refuse 404 "no such node" L get $D/Provider/Nobody
refuse 404 "no such node" L get $D/Provider/Nobody/EntDMID

# --- the values bootstrap stored
expect L $PF/EntDMID device-42
expect L $PF/Poll/NumberOfFirstRetries 8
expect L $PF/Poll/IntervalForFirstSetOfRetries 1
expect L $PF/Poll/PollOnLogin true
expect L $PT/UPN UserPrincipalName@domain.com
expect L $PT/EntDeviceName Administrator_Windows
expect L $PT/Poll/NumberOfSecondRetries 5
expect L $PT/Poll/IntervalForSecondSetOfRetries 3
expect L $PT/Poll/IntervalForRemainingScheduledRetries 1560
# ... and Windows' defaults where it stored nothing
expect L $PF/Poll/IntervalForRemainingScheduledRetries 0
expect L $PT/Poll/NumberOfFirstRetries 8
expect L $PF/Poll/NumberOfSecondRetries 0
expect L $PF/Poll/AllUsersPollOnFirstLogin false
expect L $PF/SyncApplicationVersion 1.0
expect L $PF/MaxSyncApplicationVersion 1.0
expect L $PF/EntDeviceName ""
expect L $PF/Push/PFN ""
expect L $PF/Push/ChannelURI ""
expect L $PF/Push/Status 4

# --- formats and access types (Windows')
ok L stat $PF/Poll/IntervalForRemainingScheduledRetries
has "Format: int"
has "Access: Get Replace"
ok L stat $PF/Poll/PollOnLogin
has "Format: bool"
ok L stat $PF/EntDMID
has "Format: chr"
has "Access: Get Replace"
ok L stat $PF/MaxSyncApplicationVersion
has "Access: Get"
ok L stat $PF/Push/Status
has "Format: int"
has "Access: Get"
ok L stat $PF/Push/ChannelURI
has "Access: Get"
ok L stat $PF/Unenroll
has "Format: null"
has "Access: Exec Get"
ok L stat $D/HWDevID
has "Access: Get"

# --- HWDevID: stable, from machine-id, not DevInfo's DevId
want=$(printf 'luadm-hwdevid:0123456789abcdef0123456789abcdef' |
    sha256sum | cut -d' ' -f1 | tr a-f A-F)
expect L $D/HWDevID "$want"
expect L $PF/HWDevID "$want"
expect S $PF/HWDevID "$want"
[ "$(L tree get ./DevInfo/DevId)" != "$want" ] || fail "HWDevID = DevId"
pass
writeconf "$T/hw.conf" "" 'device = { HWDevID = "HW-1" }'
[ "$("$LUADM" -q -c "$T/hw.conf" tree get $D/HWDevID)" = HW-1 ] ||
    fail "device.HWDevID not used"
pass

# --- Replace by a server: the account changes at once, under the keys
# bootstrap writes, so ./SyncML/DMAcc and `luadm run` see them
ok S replace $PF/Poll/IntervalForRemainingScheduledRetries 60 --format int
expect S $PF/Poll/IntervalForRemainingScheduledRetries 60
expect L ./SyncML/DMAcc/$FLEET/DMClient/Poll/IntervalForRemainingScheduledRetries 60
expect S ./SyncML/DMAcc/$FLEET/DMClient/Poll/IntervalForRemainingScheduledRetries 60
grep -q 'DMClient/Poll/IntervalForRemainingScheduledRetries' \
    "$T/state/accounts/$FLEET.map" || fail "key not in the account file"
pass
# a number is stored normalised (cmd_run and DMAcc read plain digits)
ok S replace $PF/Poll/NumberOfFirstRetries +0012 --format chr
expect L ./DMAcc/$FLEET/DMClient/Poll/NumberOfFirstRetries 12
ok S replace $PF/Poll/AllUsersPollOnFirstLogin true
expect S $PF/Poll/AllUsersPollOnFirstLogin true
ok S replace $PF/EntDMID device-43
expect L ./DMAcc/$FLEET/DMClient/EntDMID device-43
expect S $PF/EntDMID device-43
ok S replace $PF/UPN user@example.com
expect S $PF/UPN user@example.com
ok S replace $PF/ExchangeID EX-1
expect S $PF/ExchangeID EX-1
ok S replace $PF/Push/PFN Contoso.MDM_8wekyb3d8bbwe
expect L ./DMAcc/$FLEET/DMClient/Push/PFN Contoso.MDM_8wekyb3d8bbwe
ok S replace $PF/SyncApplicationVersion 2.0
expect S $PF/SyncApplicationVersion 2.0
# a change made through DMAcc shows here
ok L add ./DMAcc/$FLEET/DMClient/Poll/NumberOfSecondRetries 4
expect S $PF/Poll/NumberOfSecondRetries 4

# --- bad values: 400 naming the node, nothing changed
refuse 400 "$PF/Poll/IntervalForRemainingScheduledRetries: not a decimal integer" \
    S replace $PF/Poll/IntervalForRemainingScheduledRetries soon
refuse 400 "$PF/Poll/NumberOfFirstRetries: -1 is below the minimum 0" \
    S replace $PF/Poll/NumberOfFirstRetries -- -1
refuse 400 "$PF/Poll/IntervalForFirstSetOfRetries: 2147483648 is above the maximum" \
    S replace $PF/Poll/IntervalForFirstSetOfRetries 2147483648
refuse 400 "$PF/Poll/PollOnLogin" S replace $PF/Poll/PollOnLogin yes
refuse 400 "$PF/SyncApplicationVersion" S replace $PF/SyncApplicationVersion 2.0.1
refuse 415 "$PF/EntDMID" S replace $PF/EntDMID ZGV2 --format b64
expect S $PF/Poll/IntervalForRemainingScheduledRetries 60
expect S $PF/Poll/PollOnLogin true
expect S $PF/SyncApplicationVersion 2.0
# Get-only nodes and interior nodes
refuse 405 "$PF/Push/Status" S replace $PF/Push/Status 0
refuse 405 "$PF/Push/ChannelURI" S replace $PF/Push/ChannelURI x
refuse 405 "$PF/MaxSyncApplicationVersion" S replace $PF/MaxSyncApplicationVersion 9.9
refuse 405 "$D/HWDevID" S replace $D/HWDevID x
refuse 405 "$PF/Poll" S replace $PF/Poll x
refuse 405 "" S delete $PF
refuse 418 "" S add $PF/EntDMID x

# --- a server sees only its own provider
expect S $D/Provider Fleet
refuse 404 "no such node" S get $PT
refuse 404 "no such node" S get $PT/UPN
refuse 404 "no such node" S replace $PT/Poll/IntervalForRemainingScheduledRetries 5
refuse 404 "no such node" S exec $PT/Unenroll TestMDMServer
refuse 404 "no such provider: TestMDMServer" S exec $D/Unenroll TestMDMServer
expect L $PT/Poll/IntervalForRemainingScheduledRetries 1560
# ... and a server without an account none
writeconf "$T/other.conf" Other
[ "$("$LUADM" -q -c "$T/other.conf" tree get $D/Provider)" = "" ] ||
    fail "a stranger sees providers"
pass

# --- Atomic (luadm replay as Fleet): a bad Replace rolls back a good one
cat > "$T/msg.xml" <<EOF
<SyncML xmlns="SYNCML:SYNCML1.2">
  <SyncHdr>
    <VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>
    <SessionID>1</SessionID><MsgID>1</MsgID>
    <Target><LocURI>DEVICE</LocURI></Target>
    <Source><LocURI>https://fleet.example.com/mdm</LocURI></Source>
  </SyncHdr>
  <SyncBody>
    <Atomic><CmdID>2</CmdID>
      <Replace><CmdID>3</CmdID><Item>
        <Target><LocURI>./Device/Vendor/MSFT/DMClient/Provider/Fleet/Poll/IntervalForRemainingScheduledRetries</LocURI></Target>
        <Meta><Format xmlns="syncml:metinf">int</Format></Meta>
        <Data>1440</Data></Item></Replace>
      <Replace><CmdID>4</CmdID><Item>
        <Target><LocURI>./Device/Vendor/MSFT/DMClient/Provider/Fleet/EntDeviceName</LocURI></Target>
        <Data>laptop-7</Data></Item></Replace>
      <Replace><CmdID>5</CmdID><Item>
        <Target><LocURI>./Device/Vendor/MSFT/DMClient/Provider/Fleet/Poll/PollOnLogin</LocURI></Target>
        <Data>maybe</Data></Item></Replace>
    </Atomic>
    <Get><CmdID>6</CmdID><Item>
      <Target><LocURI>./Vendor/MSFT/DMClient/Provider/TestMDMServer/UPN</LocURI></Target></Item></Get>
    <Final/>
  </SyncBody>
</SyncML>
EOF
"$LUADM" -q -c "$T/admin.conf" replay --server-id Fleet "$T/msg.xml" \
    >"$T/reply" 2>"$T/err" || fail "replay: $(cat "$T/err")"
# status CMDREF: the Data of the Status answering CmdRef.
status() {
	tr -d '\n' < "$T/reply" | sed 's|<Status>|\n&|g' |
	    grep "<CmdRef>$1</CmdRef>" | sed 's|.*<Data>\([0-9]*\)</Data>.*|\1|'
}
[ "$(status 2)" = 507 ] || fail "Atomic: $(status 2)"
[ "$(status 3)" = 216 ] || fail "rolled back Replace: $(status 3)"
[ "$(status 4)" = 216 ] || fail "rolled back Replace: $(status 4)"
[ "$(status 5)" = 400 ] || fail "bad Replace: $(status 5)"
[ "$(status 6)" = 404 ] || fail "Get of another provider: $(status 6)"
pass
expect L $PF/Poll/IntervalForRemainingScheduledRetries 60
expect L $PF/EntDeviceName ""
expect L ./DMAcc/$FLEET/DMClient/Poll/IntervalForRemainingScheduledRetries 60
refuse 404 "no such node" L get ./DMAcc/$FLEET/DMClient/EntDeviceName

# --- Unenroll: the 1226 alert is queued for the server and the account
# marked, so that the session that delivers the alert removes it
refuse 400 "names provider \"TestMDMServer\", not \"Fleet\"" \
    S exec $PF/Unenroll TestMDMServer
[ -z "$(L alert --list Fleet)" ] || fail "alert queued by a refused Exec"
pass
ok S exec $PF/Unenroll Fleet
L alert --list Fleet > "$T/alerts"
grep -q 'Type: *com.microsoft:mdm.unenrollment.userrequest' "$T/alerts" ||
    fail "unenroll alert: $(cat "$T/alerts")"
grep -q 'Format: *int' "$T/alerts" || fail "format: $(cat "$T/alerts")"
grep -q 'Mark: *critical' "$T/alerts" || fail "mark: $(cat "$T/alerts")"
grep -q 'Data: *1$' "$T/alerts" || fail "data: $(cat "$T/alerts")"
pass
aid=$(sed -n 's/^alert \([^ ]*\).*/\1/p' "$T/alerts")
[ -n "$aid" ] || fail "no alert id in: $(cat "$T/alerts")"
expect L ./DMAcc/$FLEET/Ext/luadm/UnenrollAlert "$aid"
# the account stays until the alert is delivered; a second Exec (also
# through the old ./Vendor/MSFT/DMClient/Unenroll) queues nothing more
expect S $D/Provider Fleet
ok S exec $D/Unenroll Fleet
[ "$(L alert --list Fleet | grep -c unenrollment)" = 1 ] ||
    fail "the alert was queued twice"
pass
# the administrator may unenroll any provider; the alert goes to it
refuse 400 "must name the ProviderID" L exec $D/Unenroll
refuse 404 "no such provider: Nobody" L exec $D/Unenroll Nobody
ok L exec $D/Unenroll TestMDMServer
L alert --list TestMDMServer | grep -q unenrollment ||
    fail "no alert for TestMDMServer"
[ "$(L alert --list Fleet | grep -c unenrollment)" = 1 ] ||
    fail "TestMDMServer's alert went to Fleet"
pass
[ -n "$(L tree get ./DMAcc/$TEST/Ext/luadm/UnenrollAlert)" ] ||
    fail "TestMDMServer not marked"
pass

# --- luadm ddf: a well-formed description with Windows' node names
L ddf $D > "$T/ddf.xml" 2>"$T/err" || fail "ddf: $(cat "$T/err")"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$T/ddf.xml" 2>"$T/err" || fail "ddf: $(cat "$T/err")"
fi
for name in IntervalForRemainingScheduledRetries ChannelURI Unenroll HWDevID; do
	grep -q "<NodeName>$name</NodeName>" "$T/ddf.xml" ||
	    fail "ddf lacks $name"
done
grep -q '<DFTitle>ProviderID</DFTitle>' "$T/ddf.xml" || fail "ddf title"
pass

echo "$passed passed, 0 failed"
