-- Runs every tests/lua/test_*.lua with plain lua5.4 and a fake dm:
--
--   lua5.4 tests/lua/run.lua [pattern]
--
-- A test file registers cases with test(name, fn); each case runs with a
-- fresh fake dm (see fake_dm.lua) and strict globals, as in the core.
-- Helpers for test files: eq, ok, status_of, use_dm, load_csp, ROOT.
-- Prints one line per failure and "N passed, N failed"; exits 1 on any
-- failure.

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local ROOT = here .. "/../.."
package.path = ROOT .. "/lua/?.lua;" .. here .. "/?.lua;" .. package.path

local fake = require "fake_dm"
local only = arg[1]

-- Strict globals: reading or creating an undeclared global is an error, so
-- a stray global in the SDK or a CSP fails the tests as it fails the core.
setmetatable(_G, {
  __index = function(_, k)
    error("undefined global '" .. tostring(k) .. "'", 2)
  end,
  __newindex = function(_, k)
    error("assignment to undeclared global '" .. tostring(k) .. "'", 2)
  end,
})
rawset(_G, "dm", fake.new())

local function show(v)
  return type(v) == "string" and string.format("%q", v) or tostring(v)
end

local H = { ROOT = ROOT, fake = fake }

function H.eq(got, want, what)
  if got ~= want then
    error((what and what .. ": " or "") .. "expected " .. show(want)
        .. ", got " .. show(got), 2)
  end
end

function H.ok(cond, what)
  if not cond then
    error(what or "assertion failed", 2)
  end
  return cond
end

-- Calls fn(...) and returns the DM status it raised (error table) or
-- returned as nil, status; plus the message. A plain error is re-raised.
function H.status_of(fn, ...)
  local res = table.pack(pcall(fn, ...))
  if not res[1] then
    local e = res[2]
    if type(e) == "table" and e.status then
      return e.status, e.message
    end
    error(e, 0)
  end
  if res[2] == nil and math.type(res[3]) == "integer" then
    return res[3], res[4]
  end
  return math.type(res[2]) == "integer" and res[2] or 200
end

-- Installs a fresh fake dm (opts as fake.new) and returns it.
function H.use_dm(opts)
  local d = fake.new(opts)
  rawset(_G, "dm", d)
  return d
end

-- Loads csp-scripts/<name>.lua with strict globals; returns its table.
function H.load_csp(name)
  local env = setmetatable({}, { __index = _G })
  local chunk = assert(loadfile(ROOT .. "/csp-scripts/" .. name .. ".lua",
      "t", env))
  return chunk()
end

-- Error handler of a case: a DM error table reads "status N: message".
local function traceback(e)
  if type(e) == "table" then
    e = "status " .. tostring(e.status) .. ": " .. tostring(e.message)
  end
  return debug.traceback(tostring(e), 2)
end

local files = {}
local p = io.popen('ls "' .. here .. '"')
for f in p:lines() do
  if f:match("^test_.*%.lua$") and (not only or f:find(only, 1, true)) then
    files[#files + 1] = f
  end
end
p:close()
table.sort(files)

local passed, failed = 0, 0
for _, f in ipairs(files) do
  local cases = {}
  local env = setmetatable({
    test = function(name, fn)
      cases[#cases + 1] = { name = name, fn = fn }
    end,
  }, { __index = function(_, k)
    if H[k] ~= nil then
      return H[k]
    end
    return _G[k]
  end })
  local chunk, err = loadfile(here .. "/" .. f, "t", env)
  local ok = false
  if chunk then
    ok, err = pcall(chunk)
  end
  if not ok then
    print("FAIL " .. f .. ": cannot load: " .. tostring(err))
    failed = failed + 1
  end
  for _, c in ipairs(cases) do
    H.use_dm()
    local good, why = xpcall(c.fn, traceback)
    if good then
      passed = passed + 1
    else
      failed = failed + 1
      print("FAIL " .. f .. ": " .. c.name .. ": " .. tostring(why))
    end
  end
end
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
