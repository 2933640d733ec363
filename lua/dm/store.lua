-- dm.store: the persistent node store of one CSP.
--
-- csp.define keeps here the values of nodes declared with `store = true` and
-- the nodes a server added below them. One store per CSP, saved as one state
-- file through dm.state_load/dm.state_save (crash-safe in the core).
--
-- Keys are node paths relative to the mount ("Accounts/a1/Name"); names never
-- hold "/", so "/" separates levels. A value is an entry
--   { format = "chr"|"int"|...|"node", type = "text/plain"|nil, data = string }
-- written to the state file as "<format>\n<type>\n<data>".
--
-- Entries are never modified in place (set() makes a new one), so a
-- transaction snapshot is a shallow copy of the key table.
--
-- Loading is lazy (first use); changes only mark the store dirty and flush()
-- writes it once (the core calls flush after every message).

local store = {}
store.__index = store

local function fail(message)
  error({ status = 500, message = message }, 0)
end

local function encode(e)
  return e.format .. "\n" .. (e.type or "") .. "\n" .. (e.data or "")
end

local function decode(s)
  local format, mime, data = s:match("^([^\n]*)\n([^\n]*)\n(.*)$")
  if not format or format == "" then
    return nil
  end
  return { format = format, type = mime ~= "" and mime or nil, data = data }
end

-- Returns a new, not yet loaded store saved under the state name `name`
-- ([A-Za-z0-9_.-]+).
function store.open(name)
  return setmetatable({ name = name, nodes = nil, dirty = false,
      snapshot = nil }, store)
end

-- The state name of a CSP: its first mount with every character that is not
-- a letter or digit replaced by "_" ("./Vendor/X" -> "__Vendor_X").
function store.name_for(mount)
  return (mount:gsub("[^%w]", "_"))
end

-- Returns the key -> entry table, loading it on first use. May raise 500.
function store:load()
  if self.nodes then
    return self.nodes
  end
  local raw, err = dm.state_load(self.name)
  if not raw then
    fail("cannot load state " .. self.name .. ": " .. tostring(err))
  end
  local nodes = {}
  for key, value in pairs(raw) do
    local e = decode(value)
    if e then
      nodes[key] = e
    else
      dm.log("warn", "state " .. self.name .. ": dropping bad entry "
          .. key)
    end
  end
  self.nodes = nodes
  return nodes
end

-- The entry at path, or nil.
function store:get(path)
  return self:load()[path]
end

function store:has(path)
  return self:load()[path] ~= nil
end

-- Sets the node at path (format "node" for an interior node).
function store:set(path, format, mime, data)
  self:load()[path] = { format = format, type = mime, data = data or "" }
  self.dirty = true
end

-- Removes the node at path and everything below it; returns how many
-- entries went.
function store:remove(path)
  local nodes, n = self:load(), 0
  local prefix = path == "" and "" or path .. "/"
  for key in pairs(nodes) do
    if key == path or key:sub(1, #prefix) == prefix then
      nodes[key] = nil
      n = n + 1
    end
  end
  if n > 0 then
    self.dirty = true
  end
  return n
end

-- Sorted names of the stored nodes directly below path.
function store:children(path)
  local prefix = path == "" and "" or path .. "/"
  local names = {}
  for key in pairs(self:load()) do
    if key:sub(1, #prefix) == prefix then
      local name = key:sub(#prefix + 1)
      if name ~= "" and not name:find("/", 1, true) then
        names[#names + 1] = name
      end
    end
  end
  table.sort(names)
  return names
end

-- Atomic: begin snapshots the entries, rollback restores them, commit
-- forgets the snapshot.
function store:begin()
  local copy = {}
  for key, e in pairs(self:load()) do
    copy[key] = e
  end
  self.snapshot = copy
end

function store:commit()
  self.snapshot = nil
end

function store:rollback()
  if self.snapshot then
    self.nodes = self.snapshot
    self.snapshot = nil
    self.dirty = true
  end
end

-- Writes the state file when something changed. May raise 500.
function store:flush()
  if not self.dirty then
    return
  end
  local raw = {}
  for key, e in pairs(self.nodes) do
    raw[key] = encode(e)
  end
  local ok, err = dm.state_save(self.name, raw)
  if not ok then
    fail("cannot save state " .. self.name .. ": " .. tostring(err))
  end
  self.dirty = false
end

return store
