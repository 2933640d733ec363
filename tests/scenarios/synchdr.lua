-- The SyncHdr and its Status [MS-MDM 2.2.6.1][OMA-PRO 2.3]: the client's
-- first Status answers the server's SyncHdr (CmdRef 0, Cmd SyncHdr, MsgRef
-- = the server's MsgID); the reply's CmdIDs count 1, 2, 3... in order; the
-- reply's header swaps Target and Source, keeps the SessionID and numbers
-- the client's messages (2 is the first answer: package 1 was 1). A header
-- the client cannot accept (VerProto DM/9.9) gets 500, and none of the
-- message's commands runs.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
local SERVER = "https://dm.example.test/manage?x=1&y=2"

scenario "SyncHdr Status, CmdIDs, MsgIDs over two messages"
local s = session { devid = "IMEI:493005100592800", source = SERVER,
    session_id = "4A" }
s:send [[
  <Get><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item></Get>
  <Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
    <Data>hdr</Data></Item></Replace>
]]
s:send [[
  <Status><CmdID>1</CmdID><MsgRef>2</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>
  <Get><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target></Item></Get>
]]
for n = 1, 2 do
  local r = s:reply(n)
  -- the header
  expect(r:hdr("VerDTD")):is("1.2")
  expect(r:hdr("VerProto")):is("DM/1.2")
  expect(r:hdr("SessionID")):is("4A")
  expect(r:msgid()):is(n + 1)
  expect(r:text(HDR .. "/s:Target/s:LocURI")):is(SERVER)
  expect(r:text(HDR .. "/s:Source/s:LocURI")):is("IMEI:493005100592800")
  -- the first command is the Status of the server's SyncHdr
  expect(r:commands()[1]):is("Status")
  local hs = r:statuses()[1]
  expect(hs.cmdref):is("0")
  expect(hs.cmd):is("SyncHdr")
  expect(hs.msgref):is(tostring(n))
  expect(hs.code):is(200)
  expect(hs.targetref):is_nil()
  -- exactly one Status for the header
  expect(#r:statuses(0)):is(1)
  -- CmdIDs: 1, 2, 3, ... in document order
  local ids = r:cmdids()
  local want = {}
  for i = 1, #ids do
    want[i] = i
  end
  expect(ids):is(want)
  -- every Status and Results refers to this server message
  for _, m in ipairs(r:xpath(BODY .. "/*/s:MsgRef")) do
    expect(m):is(tostring(n))
  end
  expect(r:final()):is(true)
end
local r1 = s:reply(1)
expect(#r1:cmdids()):is(4)          -- hdr Status, Status, Results, Status
r1:status(2):is(200)
r1:results(2):data():is("old")
r1:status(3):is(200)
-- the server's Status of our reply gets no Status back
local r2 = s:reply(2)
expect(#r2:statuses()):is(2)
r2:status(2):is(200)
r2:results(2):data():is("hdr")
s:finish()

scenario "the server's MsgID is echoed as given"
s = session {}
s:send(Get(2, S .. "/a"), { msgid = "17" })
local r = s:reply()
expect(r:statuses()[1].msgref):is("17")
expect(r:status(2).msgref):is("17")
s:finish()

scenario "VerProto DM/9.9: 500 for the header, nothing runs"
s = session {}
s:send([[
  <Replace><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
    <Data>must-not-happen</Data></Item></Replace>
  <Delete><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target></Item></Delete>
  <Exec><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/Run</LocURI></Target></Item></Exec>
]], { verproto = "DM/9.9" })
r = s:reply()
local hs = r:statuses()[1]
expect(hs.cmd):is("SyncHdr")
expect(hs.code):is(500)
r:status(2):is(215)
r:status(3):is(215)
r:status(4):is(215)
-- the tree is untouched
tree_get(S .. "/a"):is("old")
tree_get(S .. "/b"):is("hdr")
tree_get(S .. "/LastExec"):is("none")

scenario "VerDTD 9.9: 500 as well"
s = session {}
s:send(Replace(2, S .. "/a", "must-not-happen"), { verdtd = "9.9" })
r = s:reply()
expect(r:statuses()[1].code):is(500)
r:status(2):is_not(200)
tree_get(S .. "/a"):is("old")
