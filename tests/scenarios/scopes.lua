-- Addressing: ./Device/... and ./User/... reach the same subtree as the
-- unprefixed URI, with the scope passed to the CSP [MS-OMA]; a relative URI
-- without "./" is allowed [OMA-TND 8.1]; the client echoes the server's
-- URI byte for byte in TargetRef and in Results Source, escapes and all;
-- a %-escaped UTF-8 name is decoded for the CSP and listed back escaped
-- [MS-OMA "URI-encoded format"].
use_csp "tests/data/csp/Store.lua"
csp("Probe", [[
-- answers every Get with what the core told it: scope, URI, path
return {
  mount = "./Vendor/Test/Probe",
  get = function(ctx, path)
    return ctx.scope .. "|" .. ctx.uri .. "|" .. path
  end,
}
]])
local S = "./Vendor/Test/Store"

scenario "./Device and ./User reach the same CSP, with their scope"
local s = session {}
s:send [[
  <Get><CmdID>2</CmdID>
    <Item><Target><LocURI>./Device/Vendor/Test/Store/a</LocURI></Target></Item>
    <Item><Target><LocURI>./User/Vendor/Test/Store/b</LocURI></Target></Item>
    <Item><Target><LocURI>./Vendor/Test/Store/ro</LocURI></Target></Item>
  </Get>
  <Get><CmdID>3</CmdID>
    <Item><Target><LocURI>./Device/Vendor/Test/Probe/x</LocURI></Target></Item>
    <Item><Target><LocURI>./User/Vendor/Test/Probe/y</LocURI></Target></Item>
    <Item><Target><LocURI>./Vendor/Test/Probe/z</LocURI></Target></Item>
  </Get>
  <Replace><CmdID>4</CmdID>
    <Item><Target><LocURI>./User/Vendor/Test/Store/b</LocURI></Target><Data>via-user</Data></Item>
  </Replace>
  <Get><CmdID>5</CmdID>
    <Item><Target><LocURI>./Device/Vendor/Test/Store/b</LocURI></Target></Item>
  </Get>
]]
local r = s:reply()
r:status(2):is(200)
local res = r:results(2)
expect(#res):is(3)
res:item(1):data():is("old")
res:item(2):data():is("two")
res:item(3):data():is("fixed")
-- Source = the URI as sent, prefix included
res:item(1):source():is("./Device/Vendor/Test/Store/a")
res:item(2):source():is("./User/Vendor/Test/Store/b")
res:item(3):source():is("./Vendor/Test/Store/ro")
-- the CSP learns the scope; no prefix means the device
res = r:results(3)
res:item(1):data():is("device|./Device/Vendor/Test/Probe/x|x")
res:item(2):data():is("user|./User/Vendor/Test/Probe/y|y")
res:item(3):data():is("device|./Vendor/Test/Probe/z|z")
-- a Replace through ./User is seen through ./Device
r:status(4):is(200)
r:results(5):data():is("via-user")
s:finish()
tree_get(S .. "/b"):is("via-user")

scenario "TargetRef and Source echo the URI byte for byte"
s = session {}
s:send [[
  <Get><CmdID>2</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/%61</LocURI></Target></Item>
    <Item><Target><LocURI>Vendor/Test/Store/b</LocURI></Target></Item>
    <Item><Target><LocURI>./User/Vendor/Test/Store/n%6Fpe</LocURI></Target></Item>
  </Get>
]]
r = s:reply()
local st = r:statuses(2)
expect(#st):is(3)
expect(st[1].targetref):is("./Vendor/Test/Store/%61")
expect(st[2].targetref):is("Vendor/Test/Store/b")
expect(st[3].targetref):is("./User/Vendor/Test/Store/n%6Fpe")
r:status_for(2, "./Vendor/Test/Store/%61"):is(200)
r:status_for(2, "Vendor/Test/Store/b"):is(200)
r:status_for(2, "./User/Vendor/Test/Store/n%6Fpe"):is(404)
res = r:results(2)
expect(#res):is(2)
res:item(1):source():is("./Vendor/Test/Store/%61")
res:item(1):data():is("old")
res:item(2):source():is("Vendor/Test/Store/b")
res:item(2):data():is("via-user")
-- and byte for byte in the raw text too (no re-encoding on the way out)
expect(r.xml):contains("<LocURI>./Vendor/Test/Store/%61</LocURI>")
expect(r.xml):contains("<TargetRef>./User/Vendor/Test/Store/n%6Fpe</TargetRef>")
s:finish()

scenario "a %-escaped UTF-8 name: added, listed back escaped"
s = session {}
s:send [[
  <Add><CmdID>2</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/caf%C3%A9</LocURI></Target>
      <Data>latte</Data></Item>
  </Add>
  <Get><CmdID>3</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store</LocURI></Target></Item>
  </Get>
  <Get><CmdID>4</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/caf%C3%A9</LocURI></Target></Item>
  </Get>
  <Add><CmdID>5</CmdID>
    <Item><Target><LocURI>./User/Vendor/Test/Store/caf%C3%A9</LocURI></Target>
      <Data>again</Data></Item>
  </Add>
]]
r = s:reply()
r:status(2):is(200)
r:status(3):is(200)
local listed = "/" .. r:results(3):data().value .. "/"
expect(listed):contains("/caf%C3%A9/")
expect(listed):lacks("café")
r:status(4):is(200)
r:results(4):data():is("latte")
r:results(4):source():is("./Vendor/Test/Store/caf%C3%A9")
r:status(5):is(418)        -- the same node, through ./User
s:finish()
-- the CSP stored the decoded name
expect(luadm("tree", "list", S).stdout):contains("café\n")
tree_get(S .. "/caf%C3%A9"):is("latte")
