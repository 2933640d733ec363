-- dm.csp: declare a management subtree, get a CSP.
--
--   local csp = require "dm.csp"
--   return csp.define {
--     mount = "./Vendor/Example",
--     Motd = { access = "Get Replace", get = ..., replace = ... },
--   }
--
-- csp.define turns the declaration into the raw table the core calls (the
-- contract in core/csp.h): stat, get, add, replace, delete, exec, flush and,
-- when nodes are stored or the spec asks for it, begin/commit/rollback.
-- docs/csp-guide.md is the reference; this file is how it works:
--
--   dm.spec    checks the declaration once, at load time, and builds a tree
--              of node objects (a mistake in a CSP fails its load, loudly);
--   walk()     follows a path through that tree, through "*" placeholders
--              and through nodes a server added under a stored node;
--   check()    validates an incoming value before any handler runs, so a
--              bad value never half-applies;
--   the verbs  do access checks, then call the handler or use the store.
--
-- Errors reach the core as error({ status = ..., message = ... }).

local ddf = require "dm.ddf"
local spec = require "dm.spec"
local store = require "dm.store"
local value = require "dm.value"

local csp = { sdk_version = 1 }

-- Raises a DM status; the core answers the command with it.
local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

local function join(path, name)
  return path == "" and name or path .. "/" .. name
end

-- A node a server added below an open node (see dm.spec): it has the access
-- of that node; its format is the stored one (or, for Add, the incoming
-- one). An interior one is open in turn.
local function synthetic(parent, name, entry, format)
  local f = entry and entry.format or format
  return {
    name = name, leaf = f ~= "node", format = f, kids = {}, order = {},
    type = entry and entry.type or (f ~= "node" and "text/plain" or nil),
    stored = true, open = f == "node",
    access = parent.access, access_str = parent.access_str,
  }
end

local function visible(node, ctx)
  local s = node.scope
  return s == nil or s == "both" or ctx.scope == nil or ctx.scope == s
end

local Tree = {}
Tree.__index = Tree

-- Where a message points: "./Vendor/X/a/b".
local function label(n)
  return n.path == "" and n.mount or n.mount .. "/" .. n.path
end

local function need(node, verb, n)
  if not node.access[verb] then
    fail(405, "%s: %s is not allowed on this node", label(n), verb)
  end
end

local function view(self, ctx, path, name, args)
  return {
    path = path, name = name, mount = ctx.mount or self.mounts[1],
    args = table.move(args, 1, #args, 1, {}),
  }
end

-- Whether the declared node kid at path exists: always, except a stored
-- leaf with neither a get handler nor a default, which exists once a value
-- is stored.
function Tree:declared_exists(kid, path)
  if kid.leaf and kid.stored and not kid.get and kid.default == nil then
    return self.store:has(path)
  end
  return true
end

-- Whether the "*" instance name exists below node (at n): the node's
-- children function says so, or the store does; without either, every name
-- exists and the handlers decide.
function Tree:instance_exists(ctx, node, n, name, path)
  if node.children then
    for _, c in ipairs(node.children(ctx, n) or {}) do
      if tostring(c) == name then
        return true
      end
    end
    return false
  elseif node.star.stored then
    return self.store:has(path)
  end
  return true
end

-- Follows path from the mount. Returns node, n, exists, kind: the node
-- object that applies (nil when nothing does), the handlers' view n =
-- { path, name, args, mount }, whether the node is there now, and kind
-- "declared", "star" or "stored" (added by a server below a stored node).
-- Every node above the last one must exist.
function Tree:walk(ctx, path)
  local node, cur, name, args = self.root, "", self.root.name, {}
  local exists, kind = true, "declared"
  if not visible(node, ctx) then
    return nil
  end
  for seg in (path or ""):gmatch("[^/]+") do
    if not exists or node.leaf then
      return nil
    end
    local sub, kid = join(cur, seg), node.kids[seg]
    if kid then
      kind, exists = "declared", self:declared_exists(kid, sub)
    elseif node.star then
      kind, kid = "star", node.star
      exists = self:instance_exists(ctx, node,
          view(self, ctx, cur, name, args), seg, sub)
      args[#args + 1] = seg
    elseif node.open then
      local e = self.store:get(sub)
      kind, exists = "stored", e ~= nil
      kid = synthetic(node, seg, e, "chr")
    else
      return nil
    end
    if not visible(kid, ctx) then
      return nil
    end
    node, cur, name = kid, sub, seg
  end
  return node, view(self, ctx, cur, name, args), exists, kind
end

local function missing(self, ctx, path)
  local m = ctx.mount or self.mounts[1]
  fail(404, "%s: no such node", (path or "") == "" and m or m .. "/" .. path)
end

-- Like walk, but raises 404 when the node is not there.
function Tree:find(ctx, path)
  local node, n, exists, kind = self:walk(ctx, path)
  if not node or not exists then
    missing(self, ctx, path)
  end
  return node, n, kind
end

-- Names of the children of interior node (at n): declared ones that exist,
-- then those of the children function or of the store.
function Tree:list(ctx, node, n)
  local names, seen = {}, {}
  local function add(name)
    if not seen[name] then
      seen[name] = true
      names[#names + 1] = name
    end
  end
  for _, name in ipairs(node.order) do
    local kid = node.kids[name]
    seen[name] = true  -- a hidden declared node stays hidden
    if visible(kid, ctx) and self:declared_exists(kid, join(n.path, name)) then
      names[#names + 1] = name
    end
  end
  if node.star and not visible(node.star, ctx) then
    return names
  end
  if node.children then
    for _, c in ipairs(node.children(ctx, n) or {}) do
      add(tostring(c))
    end
  elseif (node.star and node.star.stored) or node.open then
    for _, c in ipairs(self.store:children(n.path)) do
      add(c)
    end
  end
  return names
end

-- Formats whose values are text: real servers mix them up (chr for an int
-- node, int for a chr node), so among these the value itself decides.
local textual = { chr = true, int = true, bool = true, float = true,
  date = true, time = true, xml = true }

-- Validates value (sent with format) for leaf node before anything is
-- changed. Returns the value and format to hand on: a b64 value sent to a
-- bin node is decoded. Raises 415 (wrong format) or 400 (bad value).
function Tree:check(ctx, node, n, v, format)
  local want = node.format
  v = v or ""
  if dm.is_blob(v) then
    -- a value held in a file (a large object): opaque formats hand it on
    -- as it is; anything that must be checked is read (capped) first
    -- (a handler gets the Blob; the node store keeps strings)
    local opaque = (want == "bin" or want == "b64" or want == "chr" or
      want == "xml") and (node.replace or node.add) and
      not (node.values or node.validate or node.min or node.max)
    if opaque and (format == nil or format == want or
        (textual[format] and textual[want])) then
      return v, want
    end
    v = v:read()
  end
  if format ~= nil and format ~= want and
      not (textual[format] and textual[want]) then
    if want == "bin" and format == "b64" then
      v = dm.b64decode((v:gsub("%s", "")))
      if not v then
        fail(400, "%s: value is not valid base64", label(n))
      end
    else
      fail(415, "%s: format %s sent to a node of format %s", label(n),
          tostring(format), want)
    end
  end
  local why = value.check(want, v)
  if why then
    fail(400, "%s: %s: %q", label(n), why, v)
  end
  if node.values then
    local ok = false
    for _, allowed in ipairs(node.values) do
      ok = ok or allowed == v
    end
    if not ok then
      fail(400, "%s: %q is not one of: %s", label(n), v,
          table.concat(node.values, ", "))
    end
  end
  local num = (node.min or node.max) and value.number(v)
  if node.min and num < node.min then
    fail(400, "%s: %s is below the minimum %s", label(n), v, node.min)
  end
  if node.max and num > node.max then
    fail(400, "%s: %s is above the maximum %s", label(n), v, node.max)
  end
  local ok, msg = true, nil
  if type(node.validate) == "function" then
    ok, msg = node.validate(v, ctx, n)
  elseif node.validate then
    ok = v:find(node.validate) ~= nil
  end
  if not ok then
    fail(400, "%s: %s", label(n), msg or string.format("invalid value %q", v))
  end
  return v, want
end

-- The verbs of the contract (core/csp.h).

function Tree:stat(ctx, path)
  local node, n, exists = self:walk(ctx, path)
  if not node or not exists then
    return nil
  end
  local info = {
    format = node.format, type = node.type, access = node.access_str,
    acl = node.acl, title = node.title, description = node.description,
  }
  if node.leaf and node.stored and not node.get then
    local e = self.store:get(n.path)
    info.size = #(e and e.data or node.default or "")
  end
  return info
end

function Tree:get(ctx, path)
  local node, n = self:find(ctx, path)
  need(node, "Get", n)
  if not node.leaf then
    return self:list(ctx, node, n)
  end
  local v, format, mime
  if node.get then
    v, format, mime = node.get(ctx, n)
    if v == nil and math.type(format) == "integer" then
      fail(format, "%s", mime or label(n) .. ": Get failed")
    end
  elseif node.stored then
    local e = self.store:get(n.path)
    if e then
      v, format, mime = e.data, e.format, e.type
    end
  end
  if v == nil then
    v, format, mime = node.default, nil, nil
  end
  if v == nil then
    fail(404, "%s: no value", label(n))
  end
  if dm.is_blob(v) then
    -- a value held in a file (dm.blob_file): the core sends it from there
    return v, format or node.format, mime or node.type
  end
  local s, why = value.tostring(v)
  if not s then
    fail(500, "%s: get returned %s", label(n), why)
  end
  return s, format or node.format, mime or node.type
end

function Tree:replace(ctx, path, v, format, mime)
  local node, n = self:find(ctx, path)
  if not node.leaf then
    fail(405, "%s: an interior node has no value to replace", label(n))
  end
  need(node, "Replace", n)
  v, format = self:check(ctx, node, n, v, format)
  if node.replace then
    return node.replace(ctx, n, v, format, mime)
  end
  local old = self.store:get(n.path)
  mime = mime or (old and old.type) or node.type
  self.store:set(n.path, node.format, mime, v)
end

function Tree:add(ctx, path, v, format, mime)
  path = path or ""
  local parent_path, name = path:match("^(.*)/([^/]+)$")
  parent_path, name = parent_path or "", name or path
  local parent, pn, pexists = self:walk(ctx, parent_path)
  if path == "" then
    fail(418, "%s: already exists", ctx.mount or self.mounts[1])
  elseif not parent or not pexists then
    missing(self, ctx, parent_path)
  end
  if parent.leaf then
    fail(405, "%s: a leaf takes no children", label(pn))
  end
  local node, n, exists, kind = self:walk(ctx, path)
  if not node then
    fail(405, "%s: cannot add %s here", label(pn), name)
  end
  if exists then
    fail(418, "%s: already exists", label(n))
  end
  if kind == "stored" then
    if format ~= nil and not value.formats[format] then
      fail(415, "%s: unknown format %s", label(n), format)
    end
    node = synthetic(parent, name, nil, format or "chr")
  end
  need(node, "Add", n)
  if node.leaf then
    v, format = self:check(ctx, node, n, v, format)
  elseif format ~= nil and format ~= "node" then
    fail(415, "%s: an interior node is added with format node", label(n))
  end
  if node.add then
    return node.add(ctx, n, v, format, mime)
  end
  if node.leaf then
    self.store:set(n.path, node.format, mime or node.type, v)
  else
    self.store:set(n.path, "node", nil, "")
  end
end

function Tree:delete(ctx, path)
  local node, n = self:find(ctx, path)
  need(node, "Delete", n)
  if node.delete then
    return node.delete(ctx, n)
  end
  self.store:remove(n.path)
end

function Tree:exec(ctx, path, data, correlator)
  local node, n = self:find(ctx, path)
  need(node, "Exec", n)
  return node.exec(ctx, n, data, correlator)
end

-- Turns a declaration into the contract table of core/csp.h. Raises (the
-- CSP fails to load) when the declaration is wrong.
function csp.define(decl)
  if type(decl) ~= "table" then
    error("csp.define: expects a table", 2)
  end
  local mounts = type(decl.mount) == "string" and { decl.mount } or decl.mount
  if type(mounts) ~= "table" or #mounts == 0 then
    error("csp.define: mount must be a path or a list of paths", 2)
  end
  for _, m in ipairs(mounts) do
    if type(m) ~= "string" or not m:match("^%./[^/]") or m:find("/$") then
      error("csp.define: bad mount " .. tostring(m), 2)
    end
  end
  local flags = {}
  local self = setmetatable({ mounts = mounts }, Tree)
  local name = mounts[1]:match("([^/]+)$")
  self.root = spec.compile(decl, name, mounts[1], nil, flags)
  if flags.store then
    self.store = store.open(store.name_for(mounts[1]))
  end

  local raw = { mount = decl.mount }
  for _, verb in ipairs { "stat", "get", "add", "replace", "delete", "exec" } do
    raw[verb] = function(ctx, ...)
      return self[verb](self, ctx or {}, ...)
    end
  end

  -- `luadm ddf`: the DDF 1.2 <Node> of the node at path, from the
  -- declaration (dm.ddf)
  raw.ddf = function(ctx, path)
    local xml, why = ddf.node(self.root, ctx and ctx.mount or mounts[1],
        path)
    if not xml then
      return nil, 404, why
    end
    return xml
  end

  -- Atomic: the store's snapshot, the spec's own hooks, or both.
  local tx = { "begin", "commit", "rollback" }
  local own = decl.begin or decl.commit or decl.rollback
  if own and not (decl.begin and decl.commit and decl.rollback) then
    error("csp.define: give all of begin, commit and rollback or none", 2)
  end
  if self.store or own then
    for _, hook in ipairs(tx) do
      raw[hook] = function(ctx)
        if self.store then
          self.store[hook](self.store)
        end
        if own then
          return decl[hook](ctx or {})
        end
      end
    end
  end
  if self.store or decl.flush then
    raw.flush = function(ctx)
      if decl.flush then
        decl.flush(ctx or {})
      end
      if self.store then
        self.store:flush()
      end
    end
  end
  return raw
end

return csp
