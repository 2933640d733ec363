#!/bin/sh
# `luadm ddf [URI]`: the OMA DM DDF 1.2 description of the mounted CSPs,
# valid against tests/data/ddf/ddf-1.2.dtd: from the declarations of
# csp.define CSPs, by walking the nodes of raw-contract ones, for the
# whole tree or a subtree; broken CSPs and bad URIs reported.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

DTD=$LUADM_SRC/tests/data/ddf/ddf-1.2.dtd
conf 'device = { Man = "Acme", Mod = "Rocket 3" }'
ddf() { "$LUADM" -q -c "$T/c.conf" ddf "$@"; }
if ! ddf > "$OUT" 2> "$ERR" &&
    [ "$(head -n 1 "$ERR")" = "luadm: unknown command 'ddf'" ]; then
	# core/main.c does not dispatch to cmd_ddf yet (see cmd_ddf.c)
	echo "SKIP: this luadm has no ddf command yet"
	exit 0
fi

# valid: the XML parses and follows the DDF 1.2 element model
valid() {
	xmllint --noout --nonet --dtdvalid "$DTD" "$1" > "$T/lint" 2>&1 ||
	    fail "not valid: $(grep -v 'external entity\|DM_DDF-V1_2.dtd\|\^' "$T/lint")"
	pass
}
# node NAME PATH: the file $OUT has a top-level Node NAME whose Path is PATH
node() {
	tr -d '\n ' < "$OUT" | grep -qF "<Node><NodeName>$1</NodeName><Path>$2</Path>" ||
	    fail "no node $1 at $2 in: $(head -c 2000 "$OUT")"
	pass
}
# flat FRAGMENT: $OUT holds FRAGMENT once blanks are removed
flat() {
	tr -d '\n ' < "$OUT" | grep -qF -- "$1" || fail "no $1 in: $(head -c 3000 "$OUT")"
	pass
}

ddf > "$OUT" 2> "$ERR" || fail "ddf: $(cat "$ERR")"
pass
valid "$OUT"
head -n 1 "$OUT" | grep -qF '<?xml version="1.0" encoding="UTF-8"?>' ||
    fail "first line: $(head -n 1 "$OUT")"
pass
flat '<MgmtTree><VerDTD>1.2</VerDTD><Man>Acme</Man><Mod>Rocket3</Mod><Node>'
node DevInfo .
node DevDetail .
node DMAcc .
node DMAcc ./SyncML
node DMAcc ./Vendor/MSFT
node Reboot ./Vendor/MSFT
node DeviceStatus ./Vendor/MSFT
for n in Files Hostname LoginStatus Packages Services TimeZone Users; do
	node $n ./Vendor/luadm
done
# from a declaration: formats, access, placeholders
flat '<NodeName>TotalRAM</NodeName><DFProperties><AccessType><Get/></AccessType><Description>MemoryinMB</Description><DFFormat><int/></DFFormat>'
flat '<NodeName>RebootNow</NodeName><DFProperties><AccessType><Exec/><Get/></AccessType>'
flat '<NodeName/><DFProperties><AccessType><Get/></AccessType><Description>Onenetworkcard,byitsMACaddress</Description><DFFormat><node/></DFFormat><Occurrence><ZeroOrMore/></Occurrence><Scope><Dynamic/></Scope><DFTitle>MacAddress</DFTitle>'
# from a walk (LoginStatus is a raw contract): what its stat says
flat '<NodeName>LoginStatus</NodeName><Path>./Vendor/luadm</Path><DFProperties><AccessType><Get/></AccessType><Description>user,othersornone:'

# a subtree: the mount, or a node inside one
ddf ./Vendor/MSFT/Reboot > "$OUT" 2> "$ERR" || fail "ddf Reboot: $(cat "$ERR")"
valid "$OUT"
node Reboot ./Vendor/MSFT
[ "$(grep -c '<Path>' "$OUT")" -eq 1 ] || fail "more than Reboot: $(cat "$OUT")"
pass
ddf ./Vendor/luadm/Packages/Installed > "$OUT" 2> "$ERR" ||
    fail "ddf Installed: $(cat "$ERR")"
valid "$OUT"
node Installed ./Vendor/luadm/Packages
flat '<NodeName/><DFProperties>'
flat '<NodeName>Version</NodeName>'
ddf ./Vendor/luadm/Services/ssh/State > "$OUT" 2> "$ERR" ||
    fail "ddf State: $(cat "$ERR")"
node State ./Vendor/luadm/Services/ssh
ddf ./Vendor > "$OUT" 2> "$ERR" || fail "ddf ./Vendor: $(cat "$ERR")"
valid "$OUT"
node Users ./Vendor/luadm
node Reboot ./Vendor/MSFT
if grep -qF '<NodeName>DevInfo</NodeName>' "$OUT"; then
	fail "./Vendor holds DevInfo"
fi
pass

# a raw-contract CSP with instances: walked as it is now
cat > "$T/csp/Walk.lua" <<'LUA'
return {
  mount = "./Vendor/Test/Walk",
  stat = function(ctx, path)
    if path == "" or path == "a&b" then
      return { format = "node", access = "Get Add", title = "T<1>" }
    elseif path == "a&b/leaf" then
      return { format = "int", access = "Get Replace Delete", type = "text/x-num" }
    end
  end,
  get = function(ctx, path)
    if path == "" then return { "a&b" } end
    if path == "a&b" then return { "leaf" } end
    if path == "a&b/leaf" then return "1" end
  end,
}
LUA
ddf ./Vendor/Test > "$OUT" 2> "$ERR" || fail "ddf Walk: $(cat "$ERR")"
valid "$OUT"
flat '<Node><NodeName>Walk</NodeName><Path>./Vendor/Test</Path><DFProperties><AccessType><Add/><Get/></AccessType><DFFormat><node/></DFFormat><Scope><Permanent/></Scope><DFTitle>T&lt;1&gt;</DFTitle><DFType><DDFName/></DFType></DFProperties><Node><NodeName>a&amp;b</NodeName>'
flat '<NodeName>leaf</NodeName><DFProperties><AccessType><Delete/><Get/><Replace/></AccessType><DFFormat><int/></DFFormat><Scope><Dynamic/></Scope><DFType><MIME>text/x-num</MIME></DFType></DFProperties></Node>'
ddf './Vendor/Test/Walk/a%26b' > "$OUT" 2> "$ERR" || fail "ddf a&b: $(cat "$ERR")"
valid "$OUT"
node 'a&amp;b' ./Vendor/Test/Walk
flat '<NodeName>leaf</NodeName>'

# a ddf field that returns no XML: reported, exit 1, the rest still
# printed and valid; a script that does not load (its mount unknown) does
# not get in the way
cat > "$T/csp/Garbage.lua" <<'LUA'
return {
  mount = "./Vendor/Test/Garbage",
  get = function() return {} end,
  ddf = function() return "<Node><NodeName>x</Node>" end,
}
LUA
printf 'return {\n  mount = \n' > "$T/csp/Broken.lua"
if ddf ./Vendor/Test > "$OUT" 2> "$ERR"; then
	fail "ddf with a bad CSP succeeded"
fi
grep -qF "./Vendor/Test/Garbage: its ddf returned text that is not well-formed XML" "$ERR" ||
    fail "Garbage: $(cat "$ERR")"
pass
valid "$OUT"
node Walk ./Vendor/Test

# nothing there, bad URIs, bad usage
refuse_ddf() {
	if ddf "$@" > "$OUT" 2> "$ERR"; then
		fail "ddf $*: succeeded"
	fi
	[ ! -s "$OUT" ] || fail "ddf $*: printed $(cat "$OUT")"
	pass
}
refuse_ddf ./Nope
grep -qF "./Nope: no CSP is mounted there" "$ERR" || fail "$(cat "$ERR")"
pass
refuse_ddf './Vendor/%zz'
refuse_ddf './DevInfo?prop=Format'
refuse_ddf ./DevInfo ./DevDetail
finish
