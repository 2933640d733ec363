-- demo.lua: `make demo` (scripts/demo.sh). One DM session between luadm
-- and dmtest's scripted server over HTTPS, MD5 authentication both ways,
-- printed message by message. It is a scenario like the others (ctest runs
-- it as scenario/demo), so it also checks what it shows.
--
--   1. enrolment: `luadm bootstrap` of a wap-provisioningdoc (w7
--      APPLICATION, a test CA, MD5 credentials for both sides);
--   2. package 1 from the client, with its MD5 Cred;
--   3. the server (with its own MD5 Cred) reads DevInfo and DevDetail,
--      replaces a node of a demo CSP (tests/data/csp/Store.lua), runs an
--      Exec and reads the results back; then ends the session.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

scenario "luadm demo: a DM session over HTTPS, MD5 both ways"

local srv = server {
  server_id = "demo",
  name = "dmtest demo server",
  client_auth = { type = "md5", name = "device", secret = "device-secret",
    nonce = "demo client nonce" },
  server_auth = { type = "md5", name = "server", secret = "server-secret",
    nonce = "demo server nonce" },
}

say("")
say("-- 1. Enrolment: luadm bootstrap of a provisioning document --")
local boot = srv:enroll()
say((boot.stdout:gsub("\n$", ""):gsub("[^\n]+", "   %0")))

srv:on_message(function(req)           -- package 1
  req:alert_data(1201)
  req:cred_ok()
  return srv:send(
    Get(10, "./DevInfo/DevId", "./DevInfo/Man", "./DevInfo/Mod",
      "./DevInfo/DmV", "./DevInfo/Lang") ..
    Get(11, "./DevDetail/SwV", "./DevDetail/DevTyp",
      "./DevDetail/Ext/Microsoft/OSPlatform"))
end)
srv:on_message(function(req)           -- package 3: what the device is
  req:status(0):is(212)                 -- the server's Cred was accepted
  req:status(10):is(200)
  req:status(11):is(200)
  req:results(10):item(4):data():is("1.2")
  return srv:send(Replace(12, S .. "/a", "set by the demo server") ..
    Exec(13, S .. "/Run", "restart-service"))
end)
srv:on_message(function(req)           -- package 3 again: done?
  req:status(12):is(200)
  local ex = req:status(13)
  ok(ex.code == 200 or ex.code == 202, "the Exec ran (200 or 202)")
  return srv:send(Get(14, S .. "/a", S .. "/LastExec"))
end)
srv:on_message(function(req)           -- the last results
  req:status(14):is(200)
  req:results(14):item(1):data():is("set by the demo server")
  req:results(14):item(2):data():contains("restart-service")
  return srv:finish()                   -- Status and Final: the end
end)

say("")
say("-- 2. The session: luadm session (" .. srv.url .. ") --")
local run = srv:run_session { verbose = false }
run:exit_code():is(0)
run:connections():is(1)
say(run:transcript())
say("")
say("-- 3. The tree afterwards: luadm tree get " .. S .. "/a --")
local a = tree_get(S .. "/a")
a:is("set by the demo server")
say("   " .. tostring(a.value))
say("")
say(string.format("Session complete: %d messages from the client, %d " ..
    "answers from the server, 1 TLS connection, exit code %s.",
    #run.requests, #run.requests, tostring(run.res.code)))
