-- bench_session.lua: the session benchmark of `make bench` (bench/run.sh,
-- bench_session), a dmtest scenario (tests/harness/README.md).
--
-- One whole DM session over loopback HTTPS against dmtest's scripted
-- server: package 1, then 50 commands (Replace and Get on the test CSP
-- tests/data/csp/Store.lua) in 5 server messages of 10, then the server
-- ends the session: 6 POSTs by luadm. `luadm session` is run BENCH_REPS
-- times (the best wall time is kept; the harness times the process from
-- spawn to exit); every run's replies are checked after the run (Status
-- 200 for each command, each Get returns what the Replace before it
-- stored), so that the figure is of real work and the handlers, which run
-- in the server while luadm waits, do nothing but answer.
--
-- In the same scenario `curl` POSTs the same bodies luadm sent (captured
-- from the first run) to the same server, on one connection (one curl
-- process, the transfers chained with `next` in a -K config file), and
-- the server answers each with what it answered luadm: the floor of any
-- HTTPS client doing the same exchange (process start, one TLS handshake,
-- 6 round trips). The handler checks each body is the captured one.
--
-- Output: rows for bench/run.sh's table, appended to the file named by
-- $BENCH_ROWS (printed when it is unset). A wrong reply, a failed curl or
-- a luadm that does not exit 0 fails a check: dmtest exits 1 and
-- run.sh shows a FAILED row. Figures are never judged.

use_csp "tests/data/csp/Store.lua"

local REPS = math.max(1, tonumber(os.getenv("BENCH_REPS")) or 5)
local MSGS = 5            -- server messages carrying commands
local PER_MSG = 10        -- commands in each
local S = "./Vendor/Test/Store"

scenario "bench: luadm session over HTTPS, package 1 + 50 commands"
config { session = { login_status = "others", timeout_ms = 10000,
  connect_timeout_ms = 5000 } }

local srv = server { tls = true, server_id = "bench" }
srv:enroll()

-- The value Replace command j of message i stores (and the Get after it
-- reads back).
local function value(i, j)
  return string.format("m%d-c%02d-", i, j) .. string.rep("v", 48)
end

-- The SyncBody of server message i: odd j a Replace of a or b, even j a
-- Get of the leaf just replaced. CmdIDs are i * 100 + j.
local function commands(i)
  local b = {}
  for j = 1, PER_MSG do
    local leaf = S .. (((j - 1) // 2) % 2 == 0 and "/a" or "/b")
    if j % 2 == 1 then
      b[#b + 1] = Replace(i * 100 + j, leaf, value(i, j))
    else
      b[#b + 1] = Get(i * 100 + j, leaf)
    end
  end
  return table.concat(b)
end

-- Checks the client's message answering server message i.
local function check_answer(req, i)
  for j = 1, PER_MSG do
    local id = i * 100 + j
    req:status(id):is(200)
    if j % 2 == 0 then
      req:results(id):data():is(value(i, j - 1))
    end
  end
end

local cpu = 0             -- CPU seconds the server's handlers took (a run)

-- Queues the session's handlers; cap (when given) records the requests'
-- targets and bodies and the responses, for curl.
local function queue(cap)
  for i = 1, MSGS + 1 do
    srv:on_message(function(req)
      local t0 = os.clock()
      local resp
      if i <= MSGS then
        resp = srv:send(commands(i))
      else
        resp = srv:finish()
      end
      if cap then
        cap[i] = { target = req.target, body = req.body, resp = resp.body,
            ctype = req.header_map["content-type"] }
      end
      cpu = cpu + os.clock() - t0
      return resp
    end)
  end
end

local best, best_cpu, handshakes, cap = math.huge, 0, {}, {}
for rep = 1, REPS do
  cpu = 0
  queue(rep == 1 and cap or nil)
  local run = srv:run_session { verbose = false }
  run:exit_code():is(0)
  run:count():is(MSGS + 1)
  expect(run.res.events, "no TLS or protocol failures"):is({})
  run.requests[1]:alert_data(1201)
  for i = 1, MSGS do
    if run.requests[i + 1] then
      check_answer(run.requests[i + 1], i)
    end
  end
  handshakes[rep] = run.res.accepts
  if run.res.elapsed < best then
    best, best_cpu = run.res.elapsed, cpu
  end
end

-- curl: the captured POSTs, in order, one process, one connection.
local p = pki()
local cfg = { "silent", "show-error", "fail" }
for i, c in ipairs(cap) do
  local f = string.format("%s/curl-req-%d.xml", tmpdir, i)
  local fh = assert(io.open(f, "wb"))
  fh:write(c.body)
  fh:close()
  if i > 1 then
    cfg[#cfg + 1] = "next"
  end
  cfg[#cfg + 1] = string.format('url = "%s%s"', srv.base, c.target)
  cfg[#cfg + 1] = string.format('cacert = "%s"', p.ca.cert)
  cfg[#cfg + 1] = "http1.1"
  cfg[#cfg + 1] = string.format('header = "Content-Type: %s"', c.ctype)
  cfg[#cfg + 1] = 'header = "Accept: application/vnd.syncml.dm+xml"'
  cfg[#cfg + 1] = string.format('data-binary = "@%s"', f)
  cfg[#cfg + 1] = 'output = "/dev/null"'
end
local cfg_file = tmpdir .. "/curl.cfg"
do
  local fh = assert(io.open(cfg_file, "wb"))
  fh:write(table.concat(cfg, "\n"), "\n")
  fh:close()
end

local curl_best, curl_conns = math.huge, {}
for rep = 1, REPS do
  local n = 0
  local res = srv.native:serve({ "curl", "-q", "-K", cfg_file }, 60, tmpdir,
    function(raw)
      n = n + 1
      local c = cap[n]
      if not c or raw.body ~= c.body then
        return { status = 400, body = "not the captured POST " .. n,
            headers = { { "Content-Type", "text/plain" } } }
      end
      return { status = 200, body = c.resp,
          headers = { { "Content-Type", c.ctype } } }
    end)
  ok(res.code == 0, "curl exits 0 (" .. tostring(res.code) .. ": " ..
      tostring(res.stderr) .. ")")
  expect(n, "curl sent every captured POST"):is(#cap)
  expect(res.events, "no TLS or protocol failures (curl)"):is({})
  curl_conns[rep] = res.accepts
  if res.elapsed < curl_best then
    curl_best = res.elapsed
  end
end

-- The fixed cost in luadm's figure: a process that loads the config and
-- every CSP and answers one Get (`luadm tree get`), no network.
local startup = math.huge
for _ = 1, REPS do
  local r = luadm("tree", "get", "./DevInfo/DmV")
  expect(r.code, "luadm tree get ./DevInfo/DmV exits 0"):is(0)
  if r.elapsed < startup then
    startup = r.elapsed
  end
end

-- "1" when every run used one connection, else the list.
local function counts(t)
  for _, v in ipairs(t) do
    if v ~= t[1] then
      return table.concat(t, ",")
    end
  end
  return tostring(t[1])
end

local rows = {
  string.format("session luadm   pkg 1 + %d cmds, %d POSTs  %8.1f ms   " ..
      "TLS handshakes %s   (server Lua %.1f ms; luadm tree get alone " ..
      "%.1f ms)", MSGS * PER_MSG, #cap, best * 1e3, counts(handshakes),
      best_cpu * 1e3, startup * 1e3),
  string.format("session curl    same %d POSTs, 1 process  %8.1f ms   " ..
      "TLS handshakes %s   ratio luadm/curl %.2f",
      #cap, curl_best * 1e3, counts(curl_conns), best / curl_best),
}
local path = os.getenv("BENCH_ROWS")
if path and path ~= "" then
  local fh = assert(io.open(path, "ab"))
  fh:write(table.concat(rows, "\n"), "\n")
  fh:close()
else
  for _, r in ipairs(rows) do
    say(r)
  end
end
