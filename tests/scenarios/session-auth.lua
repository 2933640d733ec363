-- Authentication over a real session [OMA-PRO 2.4][OMA-SEC][omadm-spec.md
-- section 3], both ways, checked with the harness's own Basic, MD5 and
-- HMAC code (server.lua, OpenSSL EVP), never with core/auth.c:
--   * the client's Cred: 212 = authenticated for the session (no Cred
--     after it), 200 = for this message only (Cred in every message);
--   * 401 + Chal(MD5, NextNonce) to package 1: package 1 again with a Cred
--     made from the new nonce, MsgID 2, the Status for the server's
--     SyncHdr first (CmdID 1) and the package-1 commands from CmdID 2; the
--     nonce is kept for the next session; a server that refuses forever
--     is given up on after a few tries;
--   * the server's Cred (SRVCRED): right = 212 and a fresh nonce for the
--     server's next Cred, wrong = 401 + Chal and none of its commands run;
--   * HMAC (x-syncml-hmac): on every message of both sides; a server
--     message with a wrong mac runs nothing.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

scenario "the harness's credentials match the spec's vectors"
expect(auth.basic("Bruce2", "OhBehave")):is("QnJ1Y2UyOk9oQmVoYXZl")
expect(auth.md5("Bruce2", "OhBehave", "Nonce")):is("Zz6EivR3yeaaENcRN6lpAQ==")
expect(auth.md5("Bruce2", "OhBehave", auth.unb64("ZG9iZWhhdmUNCg==")))
    :is("kHLLLSPq49co1xndU6F2HQ==")
expect(auth.hmac("Bruce2", "OhBehave", "dobehave\r\n",
    '<SyncML xmlns="SYNCML:SYNCML1.2"></SyncML>'))
    :is("usMVxL8v53e1/FZ+WIBN5A==")

scenario "Basic accepted with 212: no Cred after it"
local srv = server { server_id = "basic",
  client_auth = { type = "basic", name = "dev", secret = "devpass" } }
srv:enroll()
srv:on_message(function(req)
  req:cred_type():is("syncml:auth-basic")
  expect((req:cred() or {}).format, "Cred Format"):is("b64")
  req:cred_ok()
  return srv:send(Get(5, "./DevInfo/DmV"))   -- 212
end)
srv:on_message(function(req)
  req:no_cred()
  req:status(5):is(200)
  return srv:send(Get(6, "./DevInfo/Lang"))
end)
srv:on_message(function(req)
  req:no_cred()
  req:status(6):is(200)
  return srv:finish()
end)
local run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)

scenario "MD5 accepted with 200: the Cred comes with every message"
srv = server { server_id = "md5-200",
  client_auth = { type = "md5", name = "dev", secret = "devpass",
    nonce = "first nonce", accept = 200 } }
srv:enroll()
srv:on_message(function(req)
  req:cred_type():is("syncml:auth-md5")
  expect((req:cred() or {}).name, "Source/LocName"):is("dev")
  req:cred_ok()
  return srv:send(Get(5, "./DevInfo/DmV"))   -- 200
end)
srv:on_message(function(req)
  req:cred_ok()
  return srv:send(Get(6, "./DevInfo/Lang"))
end)
srv:on_message(function(req)
  req:cred_ok()
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)

scenario "MD5 accepted with 200 and a new NextNonce: the next Cred uses it"
srv:on_message(function(req)
  req:cred_ok()
  return srv:send(Get(5, "./DevInfo/DmV"), { next_nonce = "second nonce" })
end)
srv:on_message(function(req)
  req:cred_data():is(auth.md5("dev", "devpass", "second nonce"))
  return srv:send(Get(6, "./DevInfo/Lang"), { next_nonce = "third nonce" })
end)
srv:on_message(function(req)
  req:cred_data():is(auth.md5("dev", "devpass", "third nonce"))
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)

scenario "401 + Chal(MD5): package 1 again with the new nonce"
srv = server { server_id = "md5-chal",
  client_auth = { type = "md5", name = "dev", secret = "devpass",
    nonce = "stale nonce" } }
srv:enroll()
srv:on_message(function(req)
  req:cred_ok()                                 -- with the stale nonce
  return srv:send("", { hdr_status = 401, statuses = false,
    chal = { type = "md5", nonce = "challenge nonce" } })
end)
srv:on_message(function(req)
  expect(req:session_id()):is("1")
  expect(req:msgid()):is(2)
  req:cred_data():is(auth.md5("dev", "devpass", "challenge nonce"))
  req:cred_ok()
  expect(req:commands()):is { "Status", "Alert", "Alert", "Replace",
    "Final" }
  expect(req:cmdids()):is { 1, 2, 3, 4 }
  local hs = req:statuses()[1]
  expect(hs.cmdref):is("0")
  expect(hs.cmd):is("SyncHdr")
  expect(hs.msgref):is("1")
  expect(hs.code):is(200)
  expect(req:alert_data(1201).cmdid):is(2)
  expect(req:alert_data(1224).cmdid):is(3)
  expect(req:items(4).cmd):is("Replace")
  return srv:send(Get(5, "./DevInfo/DmV"))    -- 212
end)
srv:on_message(function(req)
  req:no_cred()
  req:status(5):is(200)
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)

scenario "the challenge's nonce is kept for the next session"
srv:on_message(function(req)
  req:cred_data():is(auth.md5("dev", "devpass", "challenge nonce"))
  req:cred_ok()
  return srv:finish { next_nonce = "next session's nonce" }  -- 212
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
srv:on_message(function(req)
  req:cred_data():is(auth.md5("dev", "devpass", "next session's nonce"))
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)

scenario "a server that refuses every Cred is given up on"
srv = server { server_id = "refuses",
  client_auth = { type = "md5", name = "dev", secret = "devpass",
    nonce = "n" } }
srv:enroll()
srv:otherwise(function(req)
  return srv:send("", { hdr_status = 401, statuses = false,
    chal = { type = "md5" } })
end)
run = srv:run_session { server_id = true }
run:exit_code():is(1)
run:count():at_least(2)
run:count():at_most(5)
run:stderr():contains("refused our credentials")

scenario "the server's MD5 Cred right: 212, and its Replace runs"
srv = server { server_id = "srvcred",
  server_auth = { type = "md5", name = "srv", secret = "srvpass",
    nonce = "server nonce 1" } }
srv:enroll()
local fresh
srv:on_message(function(req)
  return srv:send(Replace(5, S .. "/a", "by the server"))  -- with its Cred
end)
srv:on_message(function(req)
  req:status(0):is(212)
  fresh = req:text(BODY .. "/s:Status[s:CmdRef='0']/s:Chal/s:Meta/m:NextNonce")
  expect(fresh, "the client's NextNonce for the server"):matches("^[%w+/]+=*$")
  req:status(5):is(200)
  return srv:finish { cred = false }
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
tree_get(S .. "/a"):is("by the server")

scenario "the next session: the server's Cred uses the nonce the client gave"
srv:on_message(function(req)
  return srv:send(Replace(5, S .. "/b", "second session"))
end)
srv:on_message(function(req)
  req:status(0):is(212)
  req:status(5):is(200)
  return srv:finish { cred = false }
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
tree_get(S .. "/b"):is("second session")

scenario "the server's MD5 Cred wrong: 401 + Chal, its Replace does not run"
srv:on_message(function(req)
  return srv:send(Replace(5, S .. "/a", "forged"), { cred = "wrong" })
end)
srv:on_message(function(req)
  req:status(0):is(401)
  expect(req:text(BODY .. "/s:Status[s:CmdRef='0']/s:Chal/s:Meta/m:Type"))
      :is("syncml:auth-md5")
  expect(req:text(BODY .. "/s:Status[s:CmdRef='0']/s:Chal/s:Meta/m:NextNonce"))
      :matches("^[%w+/]+=*$")
  req:status(5):is_not(200)
  -- the right Cred with the new nonce: the client's answer would hold
  -- only the SyncHdr's Status, so it sends nothing and the session ends
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(2)
tree_get(S .. "/a"):is("by the server")

scenario "HMAC both ways; a server message with a wrong mac runs nothing"
srv = server { server_id = "hmac",
  client_auth = { type = "hmac", name = "dev", secret = "devpass",
    nonce = "client hmac nonce" },
  server_auth = { type = "md5", name = "srv", secret = "srvpass",
    nonce = "server hmac nonce" } }
srv:enroll()
srv:on_message(function(req)
  req:hmac_ok()
  req:no_cred()
  req:header("x-syncml-hmac"):matches('username="dev"')
  return srv:send(Get(5, "./DevInfo/DmV"))     -- signed, NextNonce
end)
srv:on_message(function(req)
  req:hmac_ok()                                 -- with the new nonce
  req:status(0):is(200)
  req:status(5):is(200)
  req:results(5):data():is("1.2")
  return srv:send(Replace(6, S .. "/a", "hmac forged"), { hmac = "wrong" })
end)
srv:on_message(function(req)
  req:hmac_ok()
  req:status(0):is(401)
  req:status(6):is_not(200)
  return srv:send(Replace(7, S .. "/b", "hmac signed"))
end)
srv:on_message(function(req)
  req:hmac_ok()
  req:status(0):is(200)
  req:status(7):is(200)
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(4)
tree_get(S .. "/a"):is("by the server")
tree_get(S .. "/b"):is("hmac signed")
