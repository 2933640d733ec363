-- Sequence: the children run in the given order; the Sequence's own Status
-- (200 once it starts) comes before theirs, and each child gets its own
-- [OMA-REP 4.1.6.14][MS-MDM 2.2.6.1]. A user-confirm Alert 1101 that the
-- user rejects stops it: the children after it are not executed (215),
-- as in the OMA DM protocol example (samples/omadm_..._wapctx_msg2).
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

scenario "Sequence runs its children in order"
local s = session {}
s:send [[
  <Sequence><CmdID>2</CmdID>
    <Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>first</Data></Item></Replace>
    <Get><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item></Get>
    <Replace><CmdID>5</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>second</Data></Item></Replace>
    <Delete><CmdID>6</CmdID><Item><Target><LocURI>./Vendor/Test/Store/missing</LocURI></Target></Item></Delete>
    <Get><CmdID>7</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item></Get>
  </Sequence>
]]
local r = s:reply()
-- the Sequence's Status first, then its children's, in order
local refs = {}
for _, st in ipairs(r:statuses()) do
  refs[#refs + 1] = st.cmdref
end
expect(refs):is { "0", "2", "3", "4", "5", "6", "7" }
r:status(2):is(200)
expect(r:status(2).cmd):is("Sequence")
r:status(3):is(200)
r:status(4):is(200)
r:status(5):is(200)
r:status(6):is(404)     -- a failed child does not stop a Sequence
r:status(7):is(200)
-- the Gets saw the values of their moment: the order was kept
r:results(4):data():is("first")
r:results(7):data():is("second")
s:finish()
tree_get(S .. "/a"):is("second")

scenario "Alert 1101 rejected by the user: what follows is not executed"
s = session { ui = "reject" }
s:send [[
  <Sequence><CmdID>2</CmdID>
    <Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
      <Data>before</Data></Item></Replace>
    <Alert><CmdID>4</CmdID><Data>1101</Data>
      <Item><Data>Apply the new settings?</Data></Item></Alert>
    <Replace><CmdID>5</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>after</Data></Item></Replace>
    <Exec><CmdID>6</CmdID><Item><Target><LocURI>./Vendor/Test/Store/Run</LocURI></Target></Item></Exec>
  </Sequence>
  <Get><CmdID>7</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item></Get>
]]
r = s:reply()
r:status(2):is(200)
r:status(3):is(200)     -- ran before the question
r:status(4):is(304)     -- the user said no
r:status(5):is(215)
r:status(6):is(215)
r:status(7):is(200)     -- outside the Sequence: runs
r:results(7):data():is("second")
s:finish()
tree_get(S .. "/b"):is("before")
tree_get(S .. "/a"):is("second")
tree_get(S .. "/LastExec"):is("none")

scenario "Alert 1101 accepted: the Sequence goes on"
s = session { ui = "accept" }
s:send [[
  <Sequence><CmdID>2</CmdID>
    <Alert><CmdID>3</CmdID><Data>1101</Data>
      <Item><Data>Apply the new settings?</Data></Item></Alert>
    <Replace><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>accepted</Data></Item></Replace>
  </Sequence>
]]
r = s:reply()
r:status(2):is(200)
r:status(3):is(200)
r:status(4):is(200)
s:finish()
tree_get(S .. "/a"):is("accepted")
