-- The transport of a session [MS-MDM 3][OMA-PRO 2.1, 2.3.1.2]: TLS
-- verification against the account's CA only, a client certificate when
-- the server requires one, HTTP failures, an empty 200 body (the end),
-- RespURI, a connection dropped mid-session (the store stays usable and
-- keeps what was reported done), a body cut short, a stalled server, a
-- package of several messages (Alert 1222, no Final), the server's Alert
-- 1223, and --trace with the secrets redacted.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
config { session = { timeout_ms = 10000, connect_timeout_ms = 10000 } }

scenario "the account trusts another CA: TLS verification fails"
local srv = server { server_id = "wrong-ca" }
srv:enroll { ca = "other" }
local run = srv:run_session { server_id = true }
run:exit_code():is(1)
run:stderr():contains("TLS verification failed")
run:count():is(0)

scenario "a required client certificate: with it the session runs"
local mtls = server { server_id = "mtls", client_cert = "require" }
mtls:enroll { client_cert = true }
mtls:on_message(function(req)
  expect(req.peer_cert, "the client certificate's subject")
      :contains("dmtest client")
  return mtls:finish()
end)
run = mtls:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(1)

scenario "a required client certificate: without it no session"
local nocert = server { server_id = "mtls-nocert", client_cert = "require" }
nocert:enroll()
run = nocert:run_session { server_id = true }
run:exit_code():is(1)
run:stderr():contains("client certificate")
run:count():is(0)
run:events():contains("peer did not return a certificate")

scenario "HTTP 500: the session fails and says so"
srv = server { server_id = "http" }
srv:enroll()
srv:on_message(function(req)
  return srv:http(500, "internal trouble")
end)
run = srv:run_session { server_id = true }
run:exit_code():is(1)
run:stderr():contains("HTTP 500")
run:count():is(1)              -- an HTTP error is not retried

scenario "HTTP 404 in the middle of a session"
srv:on_message(function(req) return srv:send(Get(5, "./DevInfo/DmV")) end)
srv:on_message(function(req) return srv:http(404, "gone") end)
run = srv:run_session { server_id = true }
run:exit_code():is(1)
run:stderr():contains("HTTP 404")
run:count():is(2)

scenario "an empty 200 body ends the session"
srv:on_message(function(req) return srv:send(Get(5, "./DevInfo/DmV")) end)
srv:on_message(function(req)
  req:results(5):data():is("1.2")
  return srv:empty()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(2)

scenario "RespURI: the next message goes there"
srv:on_message(function(req)
  expect(req.path):is("/dm")
  return srv:send(Get(5, "./DevInfo/DmV"),
      { resp_uri = "/dm/session-42?token=abc" })
end)
srv:on_message(function(req)
  expect(req.path):is("/dm/session-42")
  expect(req.query):is("token=abc")
  req:results(5):data():is("1.2")
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(2)

scenario "the server drops the connection mid-session"
srv:on_message(function(req)
  return srv:send(Replace(5, S .. "/a", "before the drop"))
end)
srv:otherwise(function(req)
  req:status(5):is(200)        -- the client reports the Replace done
  return srv:drop()
end)
run = srv:run_session { server_id = true }
srv:otherwise(nil)
run:exit_code():is(1)
run:count():at_least(2)
-- the store is intact and keeps what the client reported done
tree_get(S .. "/a"):is("before the drop")
tree_get(S .. "/b"):is("two")

scenario "a body shorter than its Content-Length"
srv:on_message(function(req)
  return srv:truncate(srv:send(Replace(5, S .. "/b", "half")), 200)
end)
run = srv:run_session { server_id = true }
run:exit_code():is(1)
tree_get(S .. "/b"):is("two")   -- nothing of a cut message runs

scenario "garbage instead of SyncML"
srv:on_message(function(req) return srv:garbage() end)
run = srv:run_session { server_id = true }
run:exit_code():is(1)
run:stderr():contains("refused")
run:count():is(1)

scenario "a stalled server: the request times out"
config { session = { timeout_ms = 1500, connect_timeout_ms = 10000 } }
srv:on_message(function(req) return srv:send(Get(5, "./DevInfo/DmV")) end)
srv:on_message(function(req) return srv:stall(6) end)
run = srv:run_session { server_id = true }
config { session = { timeout_ms = 10000, connect_timeout_ms = 10000 } }
run:exit_code():is(1)
run:stderr():contains("timed out")     -- before the 6 s were over
run:count():is(2)

scenario "a message without Final: Alert 1222, no Final, then the rest"
srv:on_message(function(req)
  return srv:send(Get(5, "./DevInfo/DmV"), { final = false })
end)
srv:on_message(function(req)
  req:status(5):is(200)
  req:results(5):data():is("1.2")
  local a = req:alert_data(1222)
  expect(a.cmdid):is(req:cmdids()[#req:cmdids()])
  expect(req:final()):is(false)
  return srv:send(Get(6, "./DevInfo/Lang"))
end)
srv:on_message(function(req)
  req:status(6):is(200)
  expect(req:alerts()):is {}
  expect(req:final()):is(true)
  return srv:finish()
end)
run = srv:run_session { server_id = true }
run:exit_code():is(0)
run:count():is(3)

scenario "Alert 1223: the server aborts, the client sends nothing more"
srv:on_message(function(req)
  return srv:send("<Alert><CmdID>5</CmdID><Data>1223</Data></Alert>" ..
      Replace(6, S .. "/a", "after abort"))
end)
run = srv:run_session { server_id = true }
run:exit_code():is(1)
run:stderr():contains("aborted")
run:count():is(1)
tree_get(S .. "/a"):is("before the drop")

scenario "--trace: every message, Cred Data and NextNonce redacted"
local tr = server { server_id = "trace",
  client_auth = { type = "md5", name = "dev", secret = "devpass",
    nonce = "trace client nonce" },
  server_auth = { type = "md5", name = "srv", secret = "srvpass",
    nonce = "trace server nonce" } }
tr:enroll()
local secrets = {}
tr:on_message(function(req)
  secrets[#secrets + 1] = (req:cred() or {}).data
  local resp = tr:send(Get(5, "./DevInfo/DmV"),
      { next_nonce = "trace next nonce" })
  secrets[#secrets + 1] = resp.body:match("<Cred>.-<Data>(.-)</Data>")
  secrets[#secrets + 1] = auth.b64("trace next nonce")
  return resp
end)
tr:on_message(function(req)
  secrets[#secrets + 1] = req:text(BODY ..
      "/s:Status[s:CmdRef='0']/s:Chal/s:Meta/m:NextNonce")
  return tr:finish { cred = false }
end)
local dir = tmpdir .. "/trace"
run = tr:run_session { server_id = true, trace = dir }
run:exit_code():is(0)
local names = { "001-client.xml", "002-server.xml", "003-client.xml",
  "004-server.xml" }
local files = {}
for i, name in ipairs(names) do
  local f = io.open(dir .. "/" .. name, "rb")
  ok(f ~= nil, "the trace holds " .. name)
  files[i] = f and f:read("a") or ""
  if f then
    f:close()
  end
end
ok(io.open(dir .. "/005-client.xml") == nil, "the trace holds 4 messages")
expect(files[1]):contains("<Data>1201</Data>")
expect(files[2]):contains("./DevInfo/DmV")
expect(files[3]):contains("<Data>1.2</Data>")
expect(#secrets):is(4)
for i, f in ipairs(files) do
  for _, sec in ipairs(secrets) do
    expect(f, names[i]):lacks(sec)
  end
end
expect(files[1]):matches("<Cred>.*<Data>%*%*%*</Data>.*</Cred>")
expect(files[2]):matches("<NextNonce[^>]*>%*%*%*</NextNonce>")
