-- How a session ends [OMA-PRO 2.3, 2.1, 2.3.1.2][MS-MDM 2.2.6.1]:
-- a server message with nothing but Status and Final gets no reply (the
-- client's would hold only the SyncHdr Status, which MUST NOT be sent);
-- a message without Final is one of several in the server's package, so
-- the client asks for the next with Alert 1222 and does not close its own
-- package (no Final); Alert 1223 aborts: nothing after it runs and the
-- client does not reply (luadm replay exits 1).
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

scenario "Status and Final only: no reply, the session ends"
local s = session {}
s:send(Get(2, S .. "/a"))
s:send [[
  <Status><CmdID>1</CmdID><MsgRef>2</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>
  <Status><CmdID>2</CmdID><MsgRef>2</MsgRef><CmdRef>3</CmdRef><Cmd>Results</Cmd><Data>200</Data></Status>
]]
s:reply(1):status(2):is(200)
s:no_reply(2)
expect(#s:run()):is(1)
expect(s:exit_code()):is(0)

scenario "a first message of Status and Final only: no reply at all"
s = session {}
s:send [[
  <Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>
]]
s:no_reply(1)
expect(s:stdout()):is("")
expect(s:exit_code()):is(0)

scenario "no Final: Alert 1222 asks for the next message, no Final"
s = session {}
s:send(Get(2, S .. "/a"), { final = false })
s:send(Get(3, S .. "/b"))
local r = s:reply(1)
r:status(2):is(200)
r:results(2):data():is("old")
local alerts = r:alerts()
expect(#alerts):is(1)
expect(alerts[1].code):is(1222)
expect(r:final()):is(false)
-- the Alert is numbered after the other commands
local ids = r:cmdids()
expect(tonumber(alerts[1].cmdid)):is(ids[#ids])
expect(ids):is { 1, 2, 3, 4 }
-- the last message of the package is answered normally, with Final
r = s:reply(2)
r:status(3):is(200)
r:results(3):data():is("two")
expect(#r:alerts()):is(0)
expect(r:final()):is(true)
expect(r:msgid()):is(3)
s:finish()

scenario "a message with nothing but a header and no Final: Alert 1222"
s = session {}
s:send("", { final = false })
r = s:reply(1)
expect(r:commands()):is { "Status", "Alert" }
expect(r:alerts()[1].code):is(1222)
expect(r:final()):is(false)
s:finish()

scenario "Alert 1223: the session aborts, nothing after it runs"
s = session {}
s:send [[
  <Replace><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
    <Data>before-abort</Data></Item></Replace>
  <Alert><CmdID>3</CmdID><Data>1223</Data></Alert>
  <Replace><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
    <Data>after-abort</Data></Item></Replace>
  <Exec><CmdID>5</CmdID><Item><Target><LocURI>./Vendor/Test/Store/Run</LocURI></Target></Item></Exec>
]]
s:send(Replace(2, S .. "/b", "next-message"))
expect(s:exit_code()):is(1)
s:no_reply(1)
s:no_reply(2)
expect(s:stdout()):is("")
expect(s:stderr()):contains("1223")
-- what came before the Alert ran; nothing after it did
tree_get(S .. "/a"):is("before-abort")
tree_get(S .. "/b"):is("two")
tree_get(S .. "/LastExec"):is("none")
