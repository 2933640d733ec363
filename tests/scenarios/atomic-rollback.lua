-- Atomic: all or nothing [OMA-REP 4.1.6.3][MS-OMA]. The example of
-- /work/shared/examples/scenario-atomic.lua, for real, and the children an
-- Atomic may not hold: a nested Atomic or a Get (500, the Atomic 507, the
-- others 215 because nothing ran), and an Add followed by a Replace of the
-- same node, which Windows does not support and neither do we.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

scenario "Atomic rolls back on failure"
local s = session { server_id = "srv" }
s:send [[
  <Atomic><CmdID>10</CmdID>
    <Replace><CmdID>11</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>new</Data></Item></Replace>
    <Delete><CmdID>12</CmdID><Item><Target><LocURI>./Vendor/Test/Store/missing</LocURI></Target></Item></Delete>
  </Atomic>
  <Get><CmdID>13</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item></Get>
]]
local r = s:reply()
r:status(10):is(507)          -- the Atomic failed
r:status(11):is(216)          -- done, then rolled back
r:status(12):is(404)          -- the failure itself
r:results(13):data():is("old")
-- the Atomic's Status comes before its children's
expect(r:cmdids()):is { 1, 2, 3, 4, 5, 6 }
local order = {}
for _, st in ipairs(r:statuses()) do
  order[#order + 1] = st.cmdref
end
expect(order):is { "0", "10", "11", "12", "13" }
s:finish()
tree_get(S .. "/a"):is("old")

scenario "a CSP error inside an Atomic rolls back what came before"
s = session {}
s:send [[
  <Atomic><CmdID>2</CmdID>
    <Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>A2</Data></Item></Replace>
    <Delete><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target></Item></Delete>
    <Add><CmdID>5</CmdID><Item><Target><LocURI>./Vendor/Test/Store/new1</LocURI></Target>
      <Data>n</Data></Item></Add>
    <Replace><CmdID>6</CmdID><Item><Target><LocURI>./Vendor/Test/Store/boom</LocURI></Target>
      <Data>z</Data></Item></Replace>
    <Replace><CmdID>7</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
      <Data>never</Data></Item></Replace>
  </Atomic>
]]
r = s:reply()
r:status(2):is(507)
r:status(3):is(216)
r:status(4):is(216)
r:status(5):is(216)
r:status(6):is(500)           -- the CSP raised error("x")
r:status(7):is(215)           -- never ran
s:finish()
tree_get(S .. "/a"):is("old")
tree_get(S .. "/b"):is("two")
tree_get(S .. "/new1"):fails(404)

scenario "a successful Atomic keeps everything"
s = session {}
s:send [[
  <Atomic><CmdID>2</CmdID>
    <Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
      <Data>three</Data></Item></Replace>
    <Add><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Store/kept</LocURI></Target>
      <Data>k</Data></Item></Add>
  </Atomic>
]]
r = s:reply()
r:status(2):is(200)
r:status(3):is(200)
r:status(4):is(200)
s:finish()
tree_get(S .. "/b"):is("three")
tree_get(S .. "/kept"):is("k")

scenario "nested Atomic: inner 500, outer 507, nothing runs"
s = session {}
s:send [[
  <Atomic><CmdID>20</CmdID>
    <Replace><CmdID>21</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>nested</Data></Item></Replace>
    <Atomic><CmdID>22</CmdID>
      <Replace><CmdID>23</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
        <Data>nested</Data></Item></Replace>
    </Atomic>
    <Delete><CmdID>24</CmdID><Item><Target><LocURI>./Vendor/Test/Store/kept</LocURI></Target></Item></Delete>
  </Atomic>
]]
r = s:reply()
r:status(20):is(507)
r:status(22):is(500)
r:status(21):is(215)
r:status(24):is(215)
-- every command gets a Status, the nested Atomic's child too
r:status(23):is(215)
s:finish()
tree_get(S .. "/a"):is("old")
tree_get(S .. "/b"):is("three")
tree_get(S .. "/kept"):is("k")

scenario "Get inside an Atomic: 500, the Atomic 507, the others 215"
s = session {}
s:send [[
  <Atomic><CmdID>30</CmdID>
    <Replace><CmdID>31</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target>
      <Data>withget</Data></Item></Replace>
    <Get><CmdID>32</CmdID><Item><Target><LocURI>./Vendor/Test/Store/a</LocURI></Target></Item></Get>
    <Replace><CmdID>33</CmdID><Item><Target><LocURI>./Vendor/Test/Store/b</LocURI></Target>
      <Data>withget</Data></Item></Replace>
  </Atomic>
]]
r = s:reply()
r:status(30):is(507)
r:status(32):is(500)
r:status(31):is(215)
r:status(33):is(215)
expect(#r:results(32)):is(0)
s:finish()
tree_get(S .. "/a"):is("old")
tree_get(S .. "/b"):is("three")

scenario "Add then Replace of the same node in one Atomic is refused"
s = session {}
s:send [[
  <Atomic><CmdID>40</CmdID>
    <Add><CmdID>41</CmdID><Item><Target><LocURI>./Vendor/Test/Store/fresh</LocURI></Target>
      <Data>1</Data></Item></Add>
    <Replace><CmdID>42</CmdID><Item><Target><LocURI>./Vendor/Test/Store/fresh</LocURI></Target>
      <Data>2</Data></Item></Replace>
  </Atomic>
]]
r = s:reply()
r:status(40):is(507)
r:status(41):is(215)
r:status(42):is(500)
s:finish()
tree_get(S .. "/fresh"):fails(404)
