-- Fake: a CSP for tests/scenarios/samples.lua, standing in for the CSPs a
-- real device would have at the nodes the reference samples address
-- (./antivirus_data, ./Vendor/MSFT/Personalization, ...). Written against
-- the raw contract of core/csp.h (no SDK), so that what the scenario sees
-- is the core's doing.
--
-- The scenario copies this file under several names (csp("AV", ...)) and
-- configures each copy through the configuration's csp table, which the
-- core hands to the script as dm.config.csp:
--
--   csp = { AV = {
--     mount = "./antivirus_data",
--     nodes = { [""] = true, version = "5" },  -- true: interior node,
--                                              -- a string: a leaf's value;
--                                              -- no "" key: the mount node
--                                              -- does not exist yet
--     status = { Replace = 202 },   -- what a successful command answers
--                                   -- (default 200)
--     log = "/tmp/.../calls.log",   -- every Add/Replace/Delete/Exec is
--                                   -- appended here as a Lua table
--   } }
--
-- Every node allows every command. Nodes a server adds or changes live in
-- the state file named after the copy (dm.state_load/save, written by
-- flush), so a value survives from one luadm process to the next.
--
-- State keys: "n:" .. path for an interior node, "v:" .. path for a leaf;
-- the mount itself is path "".

local SPEC = dm.config.csp
assert(type(SPEC) == "table" and type(SPEC.mount) == "string",
    "Fake: configure csp = { <name> = { mount = ..., nodes = ... } }")
local NAME = SPEC.name
local STATUS = SPEC.status or {}

local db
local dirty = false

local function load()
  if db then
    return db
  end
  local t, err = dm.state_load(NAME)
  if not t then
    error("cannot load the state: " .. tostring(err))
  end
  if next(t) == nil then
    t["loaded"] = "1"
    for path, v in pairs(SPEC.nodes or {}) do
      if v == true then
        t["n:" .. path] = ""
      else
        t["v:" .. path] = tostring(v)
      end
    end
    dirty = true
  end
  db = t
  return db
end

local function kind(path)
  local t = load()
  if t["n:" .. path] then
    return "node"
  elseif t["v:" .. path] then
    return "leaf"
  end
  return nil
end

local function parent_of(path)
  return path:match("^(.*)/[^/]*$") or ""
end

local function children(path)
  local out, seen = {}, {}
  local prefix = path == "" and "" or path .. "/"
  for k in pairs(load()) do
    local p = k:match("^[nv]:(.*)$")
    if p and p ~= "" and p:sub(1, #prefix) == prefix then
      local name = p:sub(#prefix + 1)
      if name ~= "" and not name:find("/", 1, true) and not seen[name] then
        seen[name] = true
        out[#out + 1] = name
      end
    end
  end
  table.sort(out)
  return out
end

-- Appends one call to the log: a Lua table constructor and a comma.
local function record(ctx, cmd, path, value, format, mime)
  if not SPEC.log then
    return
  end
  local f = assert(io.open(SPEC.log, "a"))
  f:write(string.format("{ csp = %q, cmd = %q, uri = %q, path = %q, " ..
      "scope = %q, server_id = %q, value = %q, format = %q, type = %q },\n",
      NAME, cmd, tostring(ctx.uri), path, tostring(ctx.scope),
      tostring(ctx.server_id), tostring(value), tostring(format),
      tostring(mime)))
  f:close()
end

local function missing(path)
  error({ status = 404, message = NAME .. "/" .. path .. ": no such node" })
end

local function done(cmd)
  return STATUS[cmd] or 200
end

return {
  mount = SPEC.mount,

  stat = function(ctx, path)
    local k = kind(path)
    if k == "node" then
      return { format = "node" }
    elseif k == "leaf" then
      return { format = "chr", type = "text/plain",
          size = #load()["v:" .. path] }
    end
    return nil
  end,

  get = function(ctx, path)
    local k = kind(path)
    if k == "node" then
      return children(path)
    elseif k == "leaf" then
      return load()["v:" .. path], "chr", "text/plain"
    end
    missing(path)
  end,

  add = function(ctx, path, value, format, mime)
    local t = load()
    if kind(path) then
      return nil, 418, NAME .. "/" .. path .. ": already exists"
    end
    if path ~= "" and kind(parent_of(path)) ~= "node" then
      return nil, 404, NAME .. "/" .. path .. ": no parent"
    end
    record(ctx, "Add", path, value, format, mime)
    if format == "node" then
      t["n:" .. path] = ""
    else
      t["v:" .. path] = value or ""
    end
    dirty = true
    return done("Add")
  end,

  replace = function(ctx, path, value, format, mime)
    if not kind(path) then
      missing(path)
    end
    record(ctx, "Replace", path, value, format, mime)
    if kind(path) == "leaf" then
      load()["v:" .. path] = value or ""
      dirty = true
    end
    return done("Replace")
  end,

  delete = function(ctx, path)
    local t = load()
    if not kind(path) then
      missing(path)
    end
    record(ctx, "Delete", path)
    local prefix = path == "" and "" or path .. "/"
    for k in pairs(t) do
      local p = k:match("^[nv]:(.*)$")
      if p and (p == path or p:sub(1, #prefix) == prefix) then
        t[k] = nil
      end
    end
    dirty = true
    return done("Delete")
  end,

  exec = function(ctx, path, data, correlator)
    if not kind(path) then
      missing(path)
    end
    record(ctx, "Exec", path, data, correlator)
    return done("Exec")
  end,

  flush = function(ctx)
    if dirty then
      local ok, err = dm.state_save(NAME, load())
      if not ok then
        error("cannot save the state: " .. tostring(err))
      end
      dirty = false
    end
  end,
}
