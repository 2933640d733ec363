-- CSP faults in a session over HTTPS [core/csp.h]: a CSP that raises,
-- loops (also inside pcall), eats memory (a table, a string), and one
-- whose dm.run child hangs (with its own timeout, with the default
-- limits.run_timeout_ms, and past the CSP's own time limit). Each command
-- gets 500 within its limit, the CSP and the session go on: the next
-- command of the same message, to the same CSP, succeeds; a Replace of
-- the Store in the same message is kept; the session ends normally.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
local F = "./Vendor/Test/Faults"

-- Limits small enough for a quick test, generous enough for a loaded
-- 2-core machine under AddressSanitizer.
local CSP_MS, RUN_MS = 1500, 1000
config { limits = { csp_timeout_ms = CSP_MS, csp_memory_mb = 32,
  run_timeout_ms = RUN_MS } }

-- A command that hangs, with a child that hangs too (holding the pipes
-- open); its path, unique to this scenario, finds survivors with ps.
local HANG = tmpdir .. "/hang.sh"
do
  local f = assert(io.open(HANG, "w"))
  f:write("(while :; do sleep 1; done) &\nwhile :; do sleep 1; done\n")
  f:close()
end

csp("Faults", (([[
-- Faults: leaves that fail in each way a CSP can (a raw-contract CSP).
local leaves = {
  ok = true, raise = true, raise_table = true, loop = true,
  pcall_loop = true, xpcall_loop = true, coroutine_loop = true,
  table_bomb = true, string_bomb = true, concat_bomb = true,
  run_timeout = true, run_default = true, run_past_deadline = true,
  run_daemon = true, calls = true,
}
local calls = 0

local function hang(argv, opts)
  local res, err = dm.run(argv, opts)
  if not res then
    error("dm.run: " .. tostring(err))
  end
  if res.timed_out then
    error("the command timed out")
  end
  return "finished: " .. tostring(res.code)
end

local get = {
  ok = function() return "fine" end,
  calls = function() return tostring(calls) end,
  raise = function() error("the CSP raised") end,
  raise_table = function() error({ status = "not a number" }) end,
  loop = function() while true do end end,
  pcall_loop = function()
    while true do pcall(function() while true do end end) end
  end,
  xpcall_loop = function()
    while true do
      xpcall(function() while true do end end,
          function() while true do end end)
    end
  end,
  coroutine_loop = function()
    local co = coroutine.wrap(function() while true do end end)
    co()
  end,
  table_bomb = function()
    local t = {}
    for i = 1, math.maxinteger do t[i] = { i, i, i } end
    return #t
  end,
  string_bomb = function()
    return string.rep("x", 1 << 40)
  end,
  concat_bomb = function()
    local s = "x"
    while true do s = s .. s end
  end,
  run_timeout = function()
    return hang({ "sh", "HANG" }, { timeout_ms = 500 })
  end,
  run_default = function()
    return hang({ "sh", "HANG" })
  end,
  run_past_deadline = function()
    return hang({ "sh", "HANG" }, { timeout_ms = 10000 })
  end,
  run_daemon = function()
    -- the child is a shell whose own child also hangs
    return hang({ "sh", "-c", "sh HANG & sh HANG" }, { timeout_ms = 500 })
  end,
}

return {
  mount = "./Vendor/Test/Faults",
  get = function(ctx, path)
    calls = calls + 1
    if path == "" then
      local l = {}
      for k in pairs(leaves) do l[#l + 1] = k end
      table.sort(l)
      return l
    end
    local f = get[path]
    if not f then
      return nil
    end
    return f(), "chr"
  end,
}
]]):gsub("HANG", HANG)))

local srv = server { server_id = "faults" }
srv:enroll()

-- One fault per message: Get of the faulty leaf (CmdID 10), then in the
-- same message a Get of Faults/ok (11) and a Replace of the Store (12).
-- limit_ms is the time the fault may take, checked against the time
-- between the client's messages (generous: a loaded machine, ASan).
local faults = {
  { "raise", 500, 0 },
  { "raise_table", 500, 0 },
  { "loop", 500, CSP_MS },
  { "pcall_loop", 500, CSP_MS },
  { "xpcall_loop", 500, CSP_MS },
  { "coroutine_loop", 500, CSP_MS },
  { "table_bomb", 500, CSP_MS },
  { "string_bomb", 500, 0 },
  { "concat_bomb", 500, CSP_MS },
  { "run_timeout", 500, 500 },
  { "run_default", 500, RUN_MS },
  { "run_past_deadline", 500, CSP_MS },
  { "run_daemon", 500, 500 },
}
local SLACK_MS = 6000

scenario "each CSP fault gives 500 within its limit, the session goes on"
local sent_at = {}
for i, f in ipairs(faults) do
  local leaf, code = f[1], f[2]
  srv:on_message(function(req)
    if i > 1 then
      local p = faults[i - 1]
      req:status(10):is(p[2])
      req:status(11):is(200)
      req:results(11):data():is("fine")
      req:status(12):is(200)
      local ms = (req.at - sent_at[i - 1]) * 1000
      expect(ms, p[1] .. ": milliseconds to the answer"):at_most(p[3] +
          SLACK_MS)
    end
    sent_at[i] = req.at
    return srv:send(Get(10, F .. "/" .. leaf) .. Get(11, F .. "/ok") ..
        Replace(12, S .. "/a", "after " .. leaf))
  end)
end
srv:on_message(function(req)
  local p = faults[#faults]
  req:status(10):is(p[2])
  req:status(11):is(200)
  req:results(11):data():is("fine")
  req:status(12):is(200)
  expect((req.at - sent_at[#faults]) * 1000, p[1] .. ": milliseconds")
      :at_most(p[3] + SLACK_MS)
  return srv:send(Get(20, F .. "/calls"))
end)
srv:on_message(function(req)
  -- one Lua state for the whole session: every call was counted
  req:results(20):data():is(tostring(#faults * 2 + 1))
  return srv:finish()
end)
local run = srv:run_session { server_id = true, timeout = 240 }
run:exit_code():is(0)
run:count():is(#faults + 2)
tree_get(S .. "/a"):is("after " .. faults[#faults][1])

scenario "the faults through luadm tree, one process each"
for _, leaf in ipairs { "raise", "loop", "table_bomb", "run_past_deadline" } do
  local t = tree("get", F .. "/" .. leaf)
  ok(t.code ~= 0, "luadm tree get " .. leaf .. " fails")
  expect(t.stderr, leaf):contains("(500)")
end
tree_get(F .. "/ok"):is("fine")

scenario "no child of dm.run is left behind"
local ps = io.popen("ps -eo pid,ppid,args")
local procs = ps:read("a")
ps:close()
local left = {}
for line in procs:gmatch("[^\n]+") do
  if line:find(HANG, 1, true) then
    left[#left + 1] = line
  end
end
expect(left, "processes of hang.sh still running"):is {}
