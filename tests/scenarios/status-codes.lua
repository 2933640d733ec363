-- The status codes of the reference document's table that the other
-- scenarios do not already produce: 214, 403, 415, 425, 516, and the
-- SyncHdr Meta rule (ignored, except MaxMsgSize/MaxObjSize).

scenario "a CSP's 214 ends the session's commands: the rest get 215"
csp("Codes", [[
return {
  mount = "./Vendor/Test/Codes",
  stat = function(ctx, path)
    if path == "" then return { format = "node", access = "Get" } end
    return { format = "chr", access = "Get Replace Exec" }
  end,
  get = function(ctx, path)
    if path == "" then return { "Stop", "Secret", "Perm" } end
    return "x"
  end,
  replace = function(ctx, path, value)
    if path == "Secret" then error({ status = 403, message = "no" }) end
    if path == "Perm" then return nil, "/etc/shadow: Permission denied" end
  end,
  exec = function(ctx, path) return 214 end,
}
]])
use_csp "tests/data/csp/Store.lua"
local s = session { server_id = "srv", devid = "DEV" }
s:send(Exec(2, "./Vendor/Test/Codes/Stop") ..
    Replace(3, "./Vendor/Test/Store/a", "changed") ..
    Get(4, "./Vendor/Test/Store/b"))
local r = s:reply()
r:status(2):is(214)
r:status(3):is(215)
r:status(4):is(215)
expect(r:count("//s:Results"), "no Results after 214"):is(0)
s:finish()
tree_get("./Vendor/Test/Store/a"):is("old")

scenario "403 raised by a CSP, 425 for a permission error"
local s2 = session { server_id = "srv", devid = "DEV" }
s2:send(Replace(2, "./Vendor/Test/Codes/Secret", "v") ..
    Replace(3, "./Vendor/Test/Codes/Perm", "v"))
local r2 = s2:reply()
r2:status(2):is(403)
r2:status(3):is(425)
s2:finish()

scenario "415: a value in a format the node cannot take"
csp("Typed", [[
local csp = require "dm.csp"
return csp.define {
  mount = "./Vendor/Test/Typed",
  Port = { access = "Get Replace", format = "int", store = true, default = "1" },
}
]])
local s3 = session { server_id = "srv", devid = "DEV" }
s3:send([[<Replace><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/Test/Typed/Port</LocURI></Target>
  <Meta><Format xmlns="syncml:metinf">b64</Format></Meta><Data>AAEC</Data></Item></Replace>
  <Replace><CmdID>3</CmdID><Item><Target><LocURI>./Vendor/Test/Typed/Port</LocURI></Target>
  <Meta><Format xmlns="syncml:metinf">chr</Format></Meta><Data>8080</Data></Item></Replace>
  <Replace><CmdID>4</CmdID><Item><Target><LocURI>./Vendor/Test/Typed/Port</LocURI></Target>
  <Data>eighty</Data></Item></Replace>]])
local r3 = s3:reply()
r3:status(2):is(415)
r3:status(3):is(200)	-- chr for an int node: the value decides
r3:status(4):is(400)
s3:finish()
tree_get("./Vendor/Test/Typed/Port"):is("8080")

scenario "425: the ACL in force refuses the server"
config { acl = { enforce = true, default = "Get=*&Replace=srv2" } }
local s4 = session { server_id = "srv1", devid = "DEV" }
s4:send(Replace(2, "./Vendor/Test/Store/a", "by-srv1") ..
    Get(3, "./Vendor/Test/Store/a"))
local r4 = s4:reply()
r4:status(2):is(425)
r4:status(3):is(200)
s4:finish()
local s5 = session { server_id = "srv2", devid = "DEV" }
s5:send(Replace(2, "./Vendor/Test/Store/a", "by-srv2"))
s5:reply():status(2):is(200)
s5:finish()
tree_get("./Vendor/Test/Store/a"):is("by-srv2")

scenario "516: an Exec cannot be rolled back"
config { acl = { enforce = false } }
local s6 = session { server_id = "srv", devid = "DEV" }
s6:send([[<Atomic><CmdID>2</CmdID>]] ..
    Exec(3, "./Vendor/Test/Store/Run", "go") ..
    Replace(4, "./Vendor/Test/Store/missing", "x") .. [[</Atomic>]])
local r6 = s6:reply()
r6:status(2):is(507)
r6:status(3):is(516)
r6:status(4):is(404)
s6:finish()

scenario "Meta in the server's SyncHdr is ignored"
local s7 = session { server_id = "srv", devid = "DEV" }
s7:send(Get(2, "./Vendor/Test/Store/b"), { hdr = [[<Meta>
  <MaxMsgSize xmlns="syncml:metinf">512000</MaxMsgSize>
  <MaxObjSize xmlns="syncml:metinf">4000000</MaxObjSize>
  <Type xmlns="syncml:metinf">application/x-unknown</Type>
  <Format xmlns="syncml:metinf">bin</Format></Meta>]] })
local r7 = s7:reply()
r7:status(0):is(200)
r7:status(2):is(200)
r7:results(2):data():is("two")
r7:results(2):format():is_nil()
s7:finish()

scenario "Alert 1222 from the server: 200, and the session goes on"
local s8 = session { server_id = "srv", devid = "DEV" }
s8:send(Alert(2, 1222) .. Get(3, "./Vendor/Test/Store/b"))
local r8 = s8:reply()
r8:status(2):is(200)
r8:results(3):data():is("two")
s8:finish()
