-- What the client answers to commands it cannot run [MS-OMA]: an element
-- that is no OMA DM command gets 400 (Cmd = its name); a command without
-- CmdID gets 400 with a blank CmdRef; SyncML commands DM does not use
-- (Map, Sync) get 406; a LocURI that starts with "/", holds "..", or a "*"
-- segment is malformed (400) [OMA-TND 8.1][MS-OMA]. And the tree's own
-- refusals: 405 on a read-only node, 418 for an Add of an existing node,
-- 404 for a Replace of a missing one (which is not created).
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

scenario "unknown elements, missing CmdID, unused SyncML commands"
local s = session {}
s:send [[
  <Frobnicate><CmdID>2</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item>
  </Frobnicate>
  <Get>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item>
  </Get>
  <Map><CmdID>4</CmdID>
    <Target><LocURI>./Vendor/Test/Store</LocURI></Target>
    <Source><LocURI>./local</LocURI></Source>
    <MapItem><Target><LocURI>1</LocURI></Target><Source><LocURI>2</LocURI></Source></MapItem>
  </Map>
  <Sync><CmdID>5</CmdID>
    <Target><LocURI>./Vendor/Test/Store</LocURI></Target>
  </Sync>
  <Get><CmdID>6</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target></Item>
  </Get>
]]
local r = s:reply()
-- the unknown element: 400, named as sent
r:status(2):is(400)
expect(r:status(2).cmd):is("Frobnicate")
-- the Get without CmdID: 400 with CmdRef present but blank; not executed
local blank = r:statuses("")
expect(#blank):is(1)
r:status(""):is(400)
expect(r:status("").cmd):is("Get")
expect(r:count(BODY .. "/s:Status[s:Cmd='Get']/s:CmdRef")):is(2)
expect(r:count(BODY .. "/s:Results")):is(1)   -- only Get 6 answers
-- Map and Sync: optional features DM does not have
r:status(4):is(406)
expect(r:status(4).cmd):is("Map")
r:status(5):is(406)
expect(r:status(5).cmd):is("Sync")
-- what follows still runs
r:status(6):is(200)
r:results(6):data():is("two")
-- one Status per command, in order
local refs = {}
for _, st in ipairs(r:statuses()) do
  refs[#refs + 1] = st.cmdref
end
expect(refs):is { "0", "2", "", "4", "5", "6" }
s:finish()

scenario "an unknown element inside Sequence and Atomic"
s = session {}
s:send [[
  <Sequence><CmdID>2</CmdID>
    <Bogus><CmdID>3</CmdID></Bogus>
    <Replace><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
      <Data>seq</Data></Item></Replace>
  </Sequence>
  <Atomic><CmdID>5</CmdID>
    <Replace><CmdID>6</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>atom</Data></Item></Replace>
    <Bogus><CmdID>7</CmdID></Bogus>
  </Atomic>
]]
r = s:reply()
r:status(2):is(200)
r:status(3):is(400)
expect(r:status(3).cmd):is("Bogus")
r:status(4):is(200)
r:status(5):is(507)
r:status(7):is(400)
r:status(6):is(215)
s:finish()
tree_get(S .. "/b"):is("seq")
tree_get(S .. "/a"):is("old")

scenario "malformed LocURIs: 400"
s = session {}
s:send [[
  <Get><CmdID>2</CmdID>
    <Item><Target><LocURI>/Vendor/Test/Store/a</LocURI></Target></Item>
  </Get>
  <Get><CmdID>3</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/../Store/a</LocURI></Target></Item>
  </Get>
  <Replace><CmdID>4</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a/..</LocURI></Target><Data>dots</Data></Item>
  </Replace>
  <Get><CmdID>5</CmdID>
    <Item><Target><LocURI>./Vendor/Test/*/a</LocURI></Target></Item>
  </Get>
  <Add><CmdID>6</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/*</LocURI></Target><Data>star</Data></Item>
  </Add>
  <Get><CmdID>7</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item>
  </Get>
]]
r = s:reply()
r:status(2):is(400)
r:status(3):is(400)
r:status(4):is(400)
r:status(5):is(400)
r:status(6):is(400)
for id = 2, 6 do
  expect(#r:results(id)):is(0)
end
r:status(7):is(200)
r:results(7):data():is("old")
s:finish()
tree_get(S .. "/a"):is("old")
expect(luadm("tree", "list", S).stdout):lacks("*")

scenario "the tree refuses: read-only, existing, missing"
s = session {}
s:send [[
  <Replace><CmdID>2</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/ro</LocURI></Target><Data>w</Data></Item>
  </Replace>
  <Add><CmdID>3</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target><Data>dup</Data></Item>
  </Add>
  <Replace><CmdID>4</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/ghost</LocURI></Target><Data>g</Data></Item>
  </Replace>
  <Delete><CmdID>5</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/ro</LocURI></Target></Item>
  </Delete>
  <Exec><CmdID>6</CmdID>
    <Item><Target><LocURI>./Vendor/Test/Store/Run</LocURI></Target><Data>go</Data></Item>
  </Exec>
]]
r = s:reply()
r:status(2):is(405)
r:status(3):is(418)
r:status(4):is(404)
r:status(5):is(405)
r:status(6):is(202)
s:finish()
tree_get(S .. "/ro"):is("fixed")
tree_get(S .. "/a"):is("old")
tree_get(S .. "/ghost"):fails(404)
tree_get(S .. "/LastExec"):matches("^go|")
