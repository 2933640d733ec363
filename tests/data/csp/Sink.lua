-- Sink: a test CSP at ./Vendor/Test/Sink that records what Replace gave it:
-- Get of a leaf answers "blob <size> <sha256>" for a value that came as a
-- luadm.Blob (a large object), "text <size> <sha256>" for a string. Leaves
-- exist once replaced (or added); the mount lists them. Kept in the state
-- file "TestSink" so later luadm processes see it.
local db

local function load()
  if not db then
    db = assert(dm.state_load("TestSink"))
  end
  return db
end

local function record(path, v)
  local t = load()
  if dm.is_blob(v) then
    t[path] = string.format("blob %d %s", v:size(), dm.sha256(v:read()))
  else
    t[path] = string.format("text %d %s", #v, dm.sha256(v))
  end
end

return {
  mount = "./Vendor/Test/Sink",
  stat = function(ctx, path)
    if path == "" then return { format = "node", access = "Get Add" } end
    if load()[path] then return { format = "chr", access = "Get Replace" } end
    return nil
  end,
  get = function(ctx, path)
    local t = load()
    if path == "" then
      local names = {}
      for k in pairs(t) do names[#names + 1] = k end
      table.sort(names)
      return names
    end
    return t[path]
  end,
  add = function(ctx, path, v) record(path, v or "") end,
  replace = function(ctx, path, v) record(path, v) end,
  flush = function(ctx) if db then assert(dm.state_save("TestSink", db)) end end,
}
