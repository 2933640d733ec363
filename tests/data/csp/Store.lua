-- Store: the scenario harness's test CSP (tests/scenarios/*.lua), written
-- against the raw contract of core/csp.h (no SDK), so that what a scenario
-- sees is the core's doing and not the SDK's.
--
--   ./Vendor/Test/Store          interior, access "Get Add"
--     a = "old", b = "two"       leaves, access "Get Replace Delete"
--     ro = "fixed"               leaf, access "Get" only
--     boom = "bang"              leaf whose replace raises error("x")
--     Run                        leaf, access "Exec"; exec answers 202 and
--                                records "data|correlator" in LastExec
--     LastExec                   leaf, access "Get": the last Exec's args
--
-- Nodes a server adds are stored too: leaves get "Get Replace Delete",
-- interior ones "Get Add Replace Delete". Every node lives in the state
-- file "TestStore" (dm.state_load/save, written by flush), so a value
-- survives from one luadm process to the next: a scenario checks the tree
-- after its session with `luadm tree get`.
--
-- State keys: "n:" .. path for an interior node, "v:" .. path for a leaf,
-- whose value is the leaf's data; the mount itself is path "".

local fixed = {
  [""] = "Get Add",
  ro = "Get",
  Run = "Exec",
  LastExec = "Get",
}

local db
local dirty = false

local function load()
  if db then
    return db
  end
  local t, err = dm.state_load("TestStore")
  if not t then
    error("cannot load the store: " .. tostring(err))
  end
  if next(t) == nil then
    t = {
      ["n:"] = "",
      ["v:a"] = "old",
      ["v:b"] = "two",
      ["v:ro"] = "fixed",
      ["v:boom"] = "bang",
      ["v:Run"] = "",
      ["v:LastExec"] = "none",
    }
    dirty = true
  end
  db = t
  return db
end

local function parent_of(path)
  return path:match("^(.*)/[^/]*$") or ""
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

local function children(path)
  local t, out, seen = load(), {}, {}
  local prefix = path == "" and "" or path .. "/"
  for k in pairs(t) do
    local p = k:sub(3)
    if p ~= "" and p:sub(1, #prefix) == prefix then
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

local function missing(path)
  error({ status = 404, message = "Store/" .. path .. ": no such node" })
end

return {
  mount = "./Vendor/Test/Store",

  stat = function(ctx, path)
    local k = kind(path)
    if not k then
      return nil
    end
    if k == "node" then
      return { format = "node", access = fixed[path] or
          "Get Add Replace Delete" }
    end
    return { format = "chr", type = "text/plain",
        access = fixed[path] or "Get Replace Delete",
        size = #load()["v:" .. path] }
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

  add = function(ctx, path, value, format)
    local t = load()
    if kind(path) then
      return nil, 418, "Store/" .. path .. ": already exists"
    end
    if kind(parent_of(path)) ~= "node" then
      return nil, 404, "Store/" .. path .. ": no parent"
    end
    if format == "node" then
      t["n:" .. path] = ""
    else
      t["v:" .. path] = value or ""
    end
    dirty = true
  end,

  replace = function(ctx, path, value, format)
    local k = kind(path)
    if not k then
      missing(path)
    end
    if path == "boom" then
      error("x")
    end
    if k == "node" then
      return nil, 405, "Store/" .. path .. ": an interior node"
    end
    load()["v:" .. path] = value or ""
    dirty = true
  end,

  delete = function(ctx, path)
    local t = load()
    if not kind(path) then
      missing(path)
    end
    local prefix = path .. "/"
    for k in pairs(t) do
      local p = k:sub(3)
      if p == path or p:sub(1, #prefix) == prefix then
        t[k] = nil
      end
    end
    dirty = true
  end,

  exec = function(ctx, path, data, correlator)
    if path ~= "Run" then
      return nil, 405, "Store/" .. path .. ": not executable"
    end
    load()["v:LastExec"] = tostring(data) .. "|" .. tostring(correlator)
    dirty = true
    return 202
  end,

  flush = function(ctx)
    if dirty then
      local ok, err = dm.state_save("TestStore", load())
      if not ok then
        error("cannot save the store: " .. tostring(err))
      end
      dirty = false
    end
  end,
}
