-- The harness checks itself: every check below that says FAILS must fail
-- and every other must pass, so that a harness that passes everything (or
-- nothing) is caught. ctest expects the final line "17 passed, 12 failed".
scenario "dmtest self-test"
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

local s = session {}
s:send(Get(2, S .. "/a", S .. "/nope") .. Get(3, S .. "/b"))
local r = s:reply()
r:status(3):is(200)                             -- passes
r:status(3):is(404)                             -- FAILS
r:status(2):is(200)                             -- FAILS: two Statuses
r:status_for(2, S .. "/nope"):is(404)           -- passes
r:status(99):is(200)                            -- FAILS: no such Status
r:results(3):data():is("two")                   -- passes
r:results(3):data():is("three")                 -- FAILS
expect(r:cmdids()):is { 1, 2, 3, 4, 5, 6 }      -- passes
expect(r:cmdids()):is { 1, 2, 3 }               -- FAILS
expect("abc"):matches("^a.c$")                  -- passes
expect("abc"):contains("z")                     -- FAILS
s:no_reply(1)                                   -- FAILS
tree_get(S .. "/a"):is("old")                   -- passes
tree_get(S .. "/zz"):fails(404)                 -- passes
tree_get(S .. "/a"):fails(404)                  -- FAILS
local s2 = session {}
s2:send_raw("<not-closed>")
expect(s2:exit_code()):is(1)                    -- passes
s2:reply(1)                                     -- FAILS: no reply

-- the scripted server (plain HTTP, no auth: the simplest session)
local srv = server { tls = false, server_id = "selftest" }
srv:enroll()                                    -- passes
srv:on_message(function(req)
  req:alert_data(1201)                          -- passes
  req:alert_data(1299)                          -- FAILS: no such Alert
  return srv:finish()
end)
local run = srv:run_session { server_id = true }  -- passes: handler used
run:exit_code():is(0)                           -- passes
run:connections():is(2)                         -- FAILS: one connection

-- WBXML through libwbxml2's tools (wbxml(true): s:send as WBXML), and the
-- check of the client's encoding: the harness is told package 1 is owed
-- in WBXML while the account says XML
wbxml(true)
local s3 = session {}
s3:send(Get(2, S .. "/b"))
s3:reply():results(2):data():is("two")          -- passes
wbxml(false)
local sw = server { tls = false, server_id = "selftest-wbxml" }
sw:enroll { encoding = "xml" }                  -- passes
sw.default_wbxml = true
sw:on_message(function(req)
  expect(req.wbxml):is(false)                   -- passes
  return sw:send(Get(5, "./DevInfo/DmV"), { wbxml = true })
end)
sw:on_message(function(req)
  expect(req.wbxml):is(true)                    -- passes
  return sw:finish()
end)
sw:run_session { server_id = true }             -- passes; FAILS: package 1 is not WBXML
