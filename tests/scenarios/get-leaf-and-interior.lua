-- Get: a leaf returns its value in Results, an interior node its children
-- (Meta Format node, names URI-encoded and joined by "/"), a missing node
-- 404 and no Results [OMA-TND 8.2][MS-OMA]. One Get with several Items
-- whose codes differ gets one Status per Item, each with TargetRef, and ONE
-- Results holding the found Items; when the codes are all equal one Status
-- covers them [MS-MDM 2.2.6.1]; the shape Windows uses (recorded/13).
scenario "Get: leaf, interior node, missing node, several Items"

use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

local s = session { server_id = "srv", devid = "DEV" }
s:send [[
  <Get><CmdID>2</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item>
  </Get>
  <Get><CmdID>3</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store</LocURI></Target></Item>
  </Get>
  <Get><CmdID>4</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/missing</LocURI></Target></Item>
  </Get>
]]
local r = s:reply(1)

-- a leaf: 200, then one Results right after it with the value; Source is
-- the URI asked for, MsgRef/CmdRef point at the Get
r:status(2):is(200)
local res = r:results(2)
expect(res.commands):is(1)
expect(#res):is(1)
res:data():is("old")
res:source():is(S .. "/a")
expect(r:text(BODY .. "/s:Results[s:CmdRef='2']/s:MsgRef")):is("1")
expect(r:commands()):is { "Status", "Status", "Results", "Status", "Results",
    "Status", "Final" }

-- an interior node: Meta Format node, the children joined by "/" (the
-- order is free [OMA-TND 8.2]: compare as a set)
r:status(3):is(200)
r:results(3):format():is("node")
local names = {}
for n in r:results(3):data().value:gmatch("[^/]+") do
  names[#names + 1] = n
end
table.sort(names)
expect(names):is { "LastExec", "Run", "a", "b", "boom", "ro" }

-- a missing node: 404 and no Results at all
r:status(4):is(404)
expect(#r:results(4)):is(0)
expect(r:count(BODY .. "/s:Results[s:CmdRef='4']")):is(0)
s:finish()

scenario "Get with several Items"
local s2 = session {}
s2:send [[
  <Get><CmdID>5</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item>
    <Item><Target><LocURI>./Vendor/Test/Store/nothere</LocURI></Target></Item>
    <Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target></Item>
  </Get>
  <Get><CmdID>6</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item>
    <Item><Target><LocURI>./Vendor/Test/Store/ro</LocURI></Target></Item>
  </Get>
]]
r = s2:reply(1)

-- mixed codes: three Statuses, in Item order, each naming its Item
local st = r:statuses(5)
expect(#st):is(3)
expect(st[1].targetref):is(S .. "/a")
expect(st[2].targetref):is(S .. "/nothere")
expect(st[3].targetref):is(S .. "/b")
r:status_for(5, S .. "/a"):is(200)
r:status_for(5, S .. "/nothere"):is(404)
r:status_for(5, S .. "/b"):is(200)
for _, x in ipairs(st) do
  expect(x.cmd):is("Get")
  expect(x.msgref):is("1")
end
-- then ONE Results with the two found Items, in order
res = r:results(5)
expect(res.commands):is(1)
expect(#res):is(2)
res:item(1):source():is(S .. "/a")
res:item(1):data():is("old")
res:item(2):source():is(S .. "/b")
res:item(2):data():is("two")
-- the Results comes after the last of the three Statuses
expect(r:count(BODY .. "/s:Results[s:CmdRef='5']/preceding-sibling::s:Status[s:CmdRef='5']")):is(3)

-- all Items 200: one Status for the command, one Results with both
expect(#r:statuses(6)):is(1)
r:status(6):is(200)
res = r:results(6)
expect(#res):is(2)
res:item(1):data():is("old")
res:item(2):data():is("fixed")
s2:finish()

scenario "interior node lists URI-encoded names"
local s3 = session {}
s3:send [[
  <Add><CmdID>2</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/with%20space</LocURI></Target>
      <Data>x</Data></Item>
  </Add>
  <Add><CmdID>3</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/50%25</LocURI></Target>
      <Data>y</Data></Item>
  </Add>
  <Get><CmdID>4</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store</LocURI></Target></Item>
  </Get>
]]
r = s3:reply(1)
r:status(2):is(200)
r:status(3):is(200)
r:status(4):is(200)
local listed = "/" .. r:results(4):data().value .. "/"
expect(listed):contains("/with%20space/")
expect(listed):contains("/50%25/")
expect(listed):lacks("with space")
-- the CSP got the decoded names
tree_get(S .. "/with%20space"):is("x")
expect(luadm("tree", "list", S).stdout):contains("with space\n")
s3:finish()
