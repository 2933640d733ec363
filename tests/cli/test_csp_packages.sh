#!/bin/sh
# The Packages CSP (./Vendor/luadm/Packages) with a fake dpkg-query and
# apt-get: the installed list and versions, bad package names, a failing
# dpkg-query, and Install/Remove: 202 with apt-get run in the background
# when the core has ctx:background, else a clear 500 and nothing run.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

P=./Vendor/luadm/Packages
DATA=$LUADM_SRC/tests/data/linux
fake dpkg-query "cat '$DATA/dpkg-query.out'"
fake apt-get
use_real env

expect $P 'Install/Installed/Remove'
ok list $P/Installed
[ "$(tr '\n' ' ' < "$OUT")" = "adduser curl libc6 libc6:i386 vim " ] ||
    fail "installed: $(cat "$OUT")"
pass
: > "$CALLS"
expect $P/Installed/vim/Version 2:9.0.1378-2
# one dpkg-query per command, though the name is checked and then read
[ "$(wc -l < "$CALLS")" -eq 1 ] || fail "dpkg-query calls: $(cat "$CALLS")"
pass
called 'dpkg-query -W -f ${binary:Package}\t${Version}\t${db:Status-Status}\n'
expect $P/Installed/libc6:i386/Version 2.36-9+deb12u4
expect $P/Installed/libc6%3Ai386/Version 2.36-9+deb12u4
expect $P/Installed/curl 'Version'
# removed (configuration kept), half installed, unknown: not installed
refuse 404 "" get $P/Installed/old-tool/Version
refuse 404 "" get $P/Installed/half-done
refuse 404 "" get $P/Installed/nope/Version
refuse 405 "" replace $P/Installed/vim/Version 1.0
refuse 405 "" exec $P/Installed
refuse 405 "" get $P/Install

# a failing dpkg-query: 500 with what it said
fake dpkg-query 'echo "dpkg-query: error: cannot read /var/lib/dpkg/status" >&2
exit 2'
refuse 500 "dpkg-query: error: cannot read /var/lib/dpkg/status" \
    get $P/Installed
fake dpkg-query "cat '$DATA/dpkg-query.out'"

# bad package names: 400 naming the node, and apt-get never runs
: > "$CALLS"
refuse 400 "$P/Install: \"-y\" is not a package name" exec $P/Install -- -y
refuse 400 "$P/Install: \"Vim\" is not a package name" exec $P/Install Vim
refuse 400 "$P/Install: \"vim;reboot\" is not a package name" \
    exec $P/Install 'vim;reboot'
refuse 400 "$P/Remove: \"curl=\" is not a package name" exec $P/Remove 'curl='
refuse 400 "$P/Install: give the package names" exec $P/Install ''
refuse 400 "$P/Install: give the package names" exec $P/Install
not_called apt-get

# Install and Remove are asynchronous: 202 at once, apt-get in the
# background, and when it ends a generic alert (1226) for the server with
# apt-get's exit code, the Correlator and the Exec's URI. `luadm tree`
# acts as the server named by server_id.
# Without a server there is nobody to report to: 500, nothing runs.
refuse 500 "$P/Install: cannot start apt-get: ctx:background: no server" \
    exec $P/Install vim
not_called apt-get

cat > "$T/prov.xml" <<'XML'
<wap-provisioningdoc version="1.1">
  <characteristic type="APPLICATION">
    <parm name="APPID" value="w7"/>
    <parm name="PROVIDER-ID" value="PkgServer"/>
    <parm name="ADDR" value="https://127.0.0.1:1/dm"/>
  </characteristic>
</wap-provisioningdoc>
XML
conf 'server_id = "PkgServer"'
"$LUADM" -q -c "$T/c.conf" bootstrap "$T/prov.xml" > /dev/null ||
    fail "bootstrap"

# alert CORRELATOR: waits up to 10 s for the pending alert answering the
# Exec with that Correlator; its lines (Type:, Source:, Data:, ...) go to
# $T/alert
alert() {
	i=0
	while :; do
		"$LUADM" -q -c "$T/c.conf" alert --list > "$T/alerts" 2>&1 || :
		awk -v c="Correlator: $1" '
		    /^alert / { if (hit) printf "%s", b; b = ""; hit = 0 }
		    { b = b $0 "\n" }
		    $0 ~ c "$" { hit = 1 }
		    END { if (hit) printf "%s", b }' "$T/alerts" > "$T/alert"
		[ ! -s "$T/alert" ] || break
		i=$((i + 1))
		[ $i -le 100 ] || fail "no alert for $1: $(cat "$T/alerts")"
		sleep 0.1
	done
	pass
}

# has FIELD VALUE: the alert read by alert() has that line
has() {
	grep -Eq "^ *$1: +$2\$" "$T/alert" || fail "alert: no $1 $2 in: $(cat "$T/alert")"
	pass
}

fake apt-get 'exit 0'
ok exec $P/Install 'vim, curl=7.88.1-10' --correlator job-1
[ "$(cat "$OUT")" = "202 Accepted for processing" ] || fail "Install: $(cat "$OUT")"
pass
alert job-1
has Type com.luadm.packages.install
has Format int
has Source "$P/Install"
has Data 0
called 'apt-get install -y vim curl=7.88.1-10'

# apt-get failing: the alert carries its exit code
fake apt-get 'echo "E: Unable to locate package nope-nope" >&2; exit 100'
ok exec $P/Remove 'libc6:i386' --correlator job-2
alert job-2
has Type com.luadm.packages.remove
has Source "$P/Remove"
has Data 100
called 'apt-get remove -y libc6:i386'
finish
