-- Transport faults in a session over HTTPS, each at a message boundary
-- [MS-MDM 3][OMA-PRO 2.1]: the connection dropped before the answer to
-- package 1, 3 and 5; HTTP 404, 500, 503 with Retry-After, 500 carrying
-- SyncML and 302 at the three boundaries; a stalled server at the first
-- and a later message; a body cut short at several points (so that it
-- does not parse); a short body that does not parse; garbage bytes (not
-- HTTP at all, binary bodies, an HTML error page); huge and invalid
-- Content-Lengths; a body over the configured cap.
--
-- Every fault must end the run with exit 1 and a message saying what
-- happened, within the configured time; the Store keeps what the server
-- replaced in the messages before the fault and gets nothing of the
-- faulty one; an alert queued before the session (which the server
-- refuses in its answer to package 1, so that it stays pending) is still
-- queued exactly once afterwards. A clean session at the end delivers it.
-- session-transport.lua covers the simple forms (a 500 and a 404, one
-- drop, one cut, one garbage body, one stall, a wrong CA).
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

-- Generous for a loaded machine under ASan; the stall cases shorten the
-- request timeout.
local SESSION = { timeout_ms = 10000, connect_timeout_ms = 10000 }
config { session = SESSION }

local srv = server { server_id = "faults" }
srv:enroll()

-- the pending alerts: { id = data } and how many
local function pending()
  local r = luadm("alert", "--list", "faults")
  expect(r.code, "luadm alert --list exit code"):is(0)
  local t, n = {}, 0
  for id, data in r.stdout:gmatch("alert (%d+)\n.-  Data:       ([^\n]*)") do
    expect(t[id], "alert " .. id .. " listed once"):is_nil()
    t[id] = data
    n = n + 1
  end
  return t, n
end

-- Statuses for the client's package 1: 500 for every Alert 1226 (the
-- generic alerts stay queued), 200 for its other commands.
local function refuse_alerts(req)
  req:alert_data(1226)
  local st = {}
  for i = 1, req:count(BODY .. "/*") do
    local b = BODY .. "/*[" .. i .. "]"
    local name = req:text("local-name(" .. b .. ")")
    local id = req:text(b .. "/s:CmdID")
    if name ~= "Status" and name ~= "Results" and name ~= "Final" then
      local code = (name == "Alert" and req:text(b .. "/s:Data") == "1226")
          and 500 or 200
      st[#st + 1] = string.format("<Status><CmdID>%d</CmdID><MsgRef>%s" ..
          "</MsgRef><CmdRef>%s</CmdRef><Cmd>%s</Cmd><Data>%d</Data>" ..
          "</Status>", 900 + i, req:msgid() or 1, id, name, code)
    end
  end
  return table.concat(st)
end

local current_a = "old"
local ncase = 0

-- fault_case { name, at = message of the fault (1 = the answer to
-- package 1), fault = function(req) -> response, err = text (or list of
-- texts) on stderr, lacks = texts that must not be there, count =
-- messages the client sends (default: at), count_max (default: count),
-- config = session keys for this run, max_s = seconds the run may take }
local function fault_case(o)
  ncase = ncase + 1
  scenario(o.name)
  local tag = "case " .. ncase
  local q = luadm("alert", "--type", "com.example/Fault", "--data", tag,
      "faults")
  expect(q.code, "luadm alert exit code"):is(0)
  local id = q.stdout:match("^(%d+)\n$")
  ok(id ~= nil, "luadm alert printed the new id")
  local before, nbefore = pending()
  expect(before[id]):is(tag)

  for k = 1, o.at - 1 do
    srv:on_message(function(req)
      local extra = ""
      if k == 1 then
        extra = refuse_alerts(req)
      end
      return srv:send(extra .. Replace(50 + k, S .. "/a", tag .. " msg " ..
          k), { statuses = k ~= 1 })
    end)
  end
  local faulty = 0
  srv:otherwise(function(req)
    faulty = faulty + 1
    if o.at == 1 then
      -- whatever the client sends, package 1 carries the alert
      req:alert_data(1226)
    end
    if faulty > 3 then
      -- the client took a faulty answer: end the session (the checks
      -- below fail) rather than feed it faults until its limit
      return srv:finish()
    end
    return o.fault(req)
  end)
  if o.config then
    local c = {}
    for k, v in pairs(SESSION) do c[k] = v end
    for k, v in pairs(o.config) do c[k] = v end
    config { session = c }
  end
  local run = srv:run_session { server_id = true }
  config { session = SESSION }
  srv:otherwise(nil)
  run:exit_code():is(1)
  -- the message, in the scenario's output
  say("  luadm: " .. tostring(run.res.stderr:match("session failed: " ..
      "[^\n]*")))
  for _, e in ipairs(type(o.err) == "table" and o.err or { o.err }) do
    run:stderr():contains(e)
  end
  for _, e in ipairs(o.lacks or {}) do
    run:stderr():lacks(e)
  end
  run:stderr():lacks("Sanitizer")
  run:count():at_least(o.count or o.at)
  run:count():at_most(o.count_max or o.count or o.at)
  run:elapsed():at_most(o.max_s or 20)
  ok(faulty >= 1, "the fault was served")
  -- the Store: what the messages before the fault replaced, nothing of
  -- the faulty one
  if o.at > 1 then
    current_a = tag .. " msg " .. (o.at - 1)
  end
  tree_get(S .. "/a"):is(current_a)
  tree_get(S .. "/b"):is("two")
  -- the alert is still queued, once, and nothing else changed
  local after, nafter = pending()
  expect(after[id], "the alert queued before the session"):is(tag)
  expect(nafter, "pending alerts"):is(nbefore)
  return run
end

-- A SyncML message that replaces Store/b (it must never run), as the
-- exact XML text: in the WBXML mode (DMTEST_WBXML=1) too, so that a cut
-- at byte N is a cut at byte N.
local function poison()
  return srv:body(srv:send(Replace(70, S .. "/b",
      "from a faulty message")).body)
end

---------------------------------------------------------------- drops

-- Package 1 is sent again once after a transport failure (CONNRETRYFREQ 1
-- in the provisioning); a later message may be sent again once by
-- libcurl, on a fresh connection, when the reused one died without an
-- answer. A later drop happens after the server accepted the session's
-- TLS connection without a client certificate: a hint that it may want
-- one would send the administrator the wrong way.
fault_case { name = "connection dropped before the answer to package 1",
  at = 1, count = 2,
  fault = function() return srv:drop() end,
  err = { "session failed", "closed the connection" } }
for _, at in ipairs { 2, 3 } do
  fault_case { name = "connection dropped before the answer to package " ..
      (2 * at - 1),
    at = at, count_max = at + 1,
    fault = function() return srv:drop() end,
    err = { "session failed", "closed the connection" },
    lacks = { "client certificate" } }
end

---------------------------------------------------------------- HTTP errors

fault_case { name = "HTTP 404 to package 1", at = 1,
  fault = function() return srv:http(404, "no such endpoint") end,
  err = { "session failed", "the server answered HTTP 404: no such " ..
      "endpoint" } }
fault_case { name = "HTTP 500 to package 3", at = 2,
  fault = function() return srv:http(500, "internal trouble") end,
  err = "the server answered HTTP 500: internal trouble" }
fault_case { name = "HTTP 503 with Retry-After to package 5", at = 3,
  fault = function()
    return srv:http(503, "busy", { { "Retry-After", "3600" },
      { "Content-Type", "text/plain" } })
  end,
  err = "the server answered HTTP 503: busy" }
fault_case { name = "HTTP 500 carrying a valid SyncML body", at = 2,
  fault = function() return srv:send(Replace(70, S .. "/b", "x"),
      { http_status = 500 }) end,
  err = "the server answered HTTP 500" }
fault_case { name = "HTTP 302 to another URL (redirects are not followed)",
  at = 2,
  fault = function()
    return srv:http(302, "", { { "Location", srv.url .. "/elsewhere" } })
  end,
  err = "the server answered HTTP 302" }

---------------------------------------------------------------- stalls

fault_case { name = "a server that stalls on package 1", at = 1,
  count = 2, config = { timeout_ms = 1500 },
  fault = function() return srv:stall(8, poison()) end,
  err = "timed out after 1500 ms", max_s = 15 }
fault_case { name = "a server that stalls on package 5", at = 3,
  config = { timeout_ms = 1500 },
  fault = function() return srv:stall(8, poison()) end,
  err = "timed out after 1500 ms", max_s = 15 }

---------------------------------------------------------------- cut bodies

for _, keep in ipairs { 1, 60, "half", -1 } do
  fault_case { name = "a body cut after " .. tostring(keep) ..
      " bytes (Content-Length says more)", at = 2,
    fault = function()
      local r = poison()
      local n = #r.body
      local k = keep == "half" and n // 2 or keep == -1 and n - 1 or keep
      return srv:truncate(r, k)
    end,
    err = { "shorter than its Content-Length", "refused" } }
end
fault_case { name = "garbage shorter than its Content-Length", at = 3,
  fault = function() return srv:short(srv:garbage(), 1000) end,
  err = { "shorter than its Content-Length", "refused" } }

---------------------------------------------------------------- garbage

-- libcurl refuses an answer without a status line as HTTP/0.9, with
-- CURLE_UNSUPPORTED_PROTOCOL: that is a broken reply, not a URL scheme
fault_case { name = "bytes that are not HTTP at all", at = 1, count = 2,
  fault = function() return srv:raw("\0\1\2\3garbage\255\254\r\n\r\n") end,
  err = { "invalid HTTP reply", "HTTP/0.9" },
  lacks = { "only http and https" } }
fault_case { name = "bytes that are not HTTP at all, mid-session", at = 3,
  fault = function() return srv:raw("SSH-2.0-OpenSSH_9.2\r\n") end,
  err = "invalid HTTP reply", lacks = { "only http and https" } }
-- a WBXML header (version 1.2, the SyncML DM public id, UTF-8, an empty
-- string table) then bytes that are no WBXML
local function wbxml_garbage()
  local b = { "\2\159\83\106\0" }
  for i = 1, 512 do b[#b + 1] = string.char((i * 37 + 11) % 256) end
  return srv:body(table.concat(b), {
    content_type = "application/vnd.syncml.dm+wbxml" })
end
fault_case { name = "binary garbage after a WBXML header", at = 2,
  fault = wbxml_garbage, err = "refused" }
fault_case { name = "binary garbage without a header, WBXML content type",
  at = 3,
  fault = function()
    local b = {}
    for i = 1, 512 do b[i] = string.char((i * 37 + 11) % 256) end
    return srv:body(table.concat(b), {
      content_type = "application/vnd.syncml.dm+wbxml" })
  end,
  err = "refused" }
fault_case { name = "an HTML error page with status 200", at = 3,
  fault = function()
    return srv:body("<html><body><h1>Gateway error</h1></body></html>",
      { content_type = "text/html" })
  end,
  err = "refused" }

---------------------------------------------------------------- lengths

fault_case { name = "a huge Content-Length, then the connection closes",
  at = 2,
  fault = function()
    return srv:raw("HTTP/1.1 200 OK\r\nContent-Type: " ..
      "application/vnd.syncml.dm+xml\r\nContent-Length: 999999999999\r\n" ..
      "\r\n<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>")
  end,
  err = "response body larger than 16777216 bytes" }
fault_case { name = "a Content-Length past 2^64", at = 2,
  fault = function()
    return srv:raw("HTTP/1.1 200 OK\r\nContent-Type: " ..
      "application/vnd.syncml.dm+xml\r\nContent-Length: " ..
      "18446744073709551617\r\n\r\n<SyncML/>")
  end,
  err = "refused" }
fault_case { name = "a negative Content-Length", at = 3,
  fault = function()
    return srv:raw("HTTP/1.1 200 OK\r\nContent-Type: " ..
      "application/vnd.syncml.dm+xml\r\nContent-Length: -5\r\n\r\n" ..
      "<SyncML/>")
  end,
  err = "invalid HTTP reply: Invalid Content-Length" }
fault_case { name = "a body over session.max_message_mb", at = 2,
  config = { max_message_mb = 1 },
  fault = function()
    local r = poison()
    -- 2 MB of padding in a comment: well-formed, too big
    r.body = r.body:gsub("<SyncBody>", function()
      return "<SyncBody><!-- " .. string.rep("x", 2 * 1024 * 1024) ..
          " -->"
    end, 1)
    return r
  end,
  err = "response body larger than 1048576 bytes" }
fault_case { name = "a body over the cap under a Content-Length of 10^12",
  at = 2, config = { max_message_mb = 1 },
  fault = function()
    local r = srv:body(string.rep("<x/>", 512 * 1024))
    r.content_length = 1000000000000
    return r
  end,
  err = "response body larger than 1048576 bytes" }

---------------------------------------------------------------- recovery

scenario "after every fault, a clean session delivers the pending alerts"
local want, nwant = pending()
ok(nwant == ncase, "one pending alert per fault case")
srv:on_message(function(req)
  local got = 0
  for i = 1, req:count(BODY .. "/s:Alert[s:Data='1226']") do
    local d = req:text(BODY .. "/s:Alert[s:Data='1226'][" .. i ..
        "]/s:Item/s:Data")
    ok(d ~= nil and d:match("^case %d+$"), "a queued alert: " ..
        tostring(d))
    got = got + 1
  end
  expect(got, "alerts in package 1"):is(nwant)
  return srv:send(Replace(5, S .. "/a", "recovered"))
end)
srv:on_message(function(req)
  req:status(5):is(200)
  return srv:finish()
end)
local run = srv:run_session { server_id = true }
run:exit_code():is(0)
local _, nleft = pending()
expect(nleft, "pending alerts after the clean session"):is(0)
tree_get(S .. "/a"):is("recovered")
tree_get(S .. "/b"):is("two")
