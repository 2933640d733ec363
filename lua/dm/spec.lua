-- dm.spec: compiles the declaration given to csp.define into a tree of node
-- objects, once, at load time. Every mistake in a declaration raises here,
-- naming the node, so a broken CSP fails its load instead of misbehaving
-- later. Used by dm.csp; see docs/csp-guide.md for the keys.
--
-- A node object: { name, leaf, format, type, access = { Get = true, ... },
-- access_str, acl, title, description, occurrence, scope, stored, default,
-- validate (function or anchored pattern), values, min, max, the handlers
-- get/replace/add/delete/exec/children, kids = { name -> node }, order =
-- sorted kid names, star = the "*" node or nil, open = true when a server
-- may add any node below it }.

local value = require "dm.value"

local M = {}

-- Attributes of a node spec. Every other key of a spec names a child node.
local ATTRS = {
  access = true, acl = true, add = true, children = true, default = true,
  delete = true, description = true, exec = true, format = true, get = true,
  max = true, min = true, nodes = true, occurrence = true, replace = true,
  scope = true, store = true, title = true, type = true, validate = true,
  values = true,
}
-- Keys of the top-level spec only.
local TOP = { mount = true, begin = true, commit = true, rollback = true,
  flush = true }
local ACCESS = { Add = true, Copy = true, Delete = true, Exec = true,
  Get = true, Replace = true }
local VERBS = { get = "Get", replace = "Replace", add = "Add",
  delete = "Delete", exec = "Exec" }

-- Raises a mistake in the declaration itself (the CSP fails to load).
local function bad(where, fmt, ...)
  error("csp.define: " .. where .. ": " .. string.format(fmt, ...), 0)
end

-- "Get Replace" -> { Get = true, Replace = true }, "Get Replace"
local function parse_access(s, where)
  if type(s) ~= "string" then
    bad(where, "access must be a string")
  end
  local set, list = {}, {}
  for word in s:gmatch("[^%s,|]+") do
    if not ACCESS[word] then
      bad(where, "unknown access type %q", word)
    end
    if not set[word] then
      set[word] = true
      list[#list + 1] = word
    end
  end
  return set, table.concat(list, " ")
end

-- Checks that every access type has something to serve it, and every
-- handler an access type that lets it run.
local function check_verbs(node, where)
  local a = node.access
  for h, verb in pairs(VERBS) do
    if node[h] and not a[verb] then
      bad(where, "has a %s handler but no %s access", h, verb)
    end
  end
  if node.leaf and a.Get and not (node.get or node.stored or node.default) then
    bad(where, "Get needs a get handler, store = true or a default")
  end
  if node.leaf and node.stored and not node.get and node.default == nil
      and not a.Add then
    bad(where, "a stored leaf without default needs Add access to exist")
  end
  if node.leaf and a.Replace and not (node.replace or node.stored) then
    bad(where, "Replace needs a replace handler or store = true")
  end
  if a.Add and not (node.add or node.stored) then
    bad(where, "Add needs an add handler or store = true")
  end
  if a.Delete and not (node.delete or node.stored) then
    bad(where, "Delete needs a delete handler or store = true")
  end
  if a.Exec and not node.exec then
    bad(where, "Exec needs an exec handler")
  end
end

-- Builds the node object of spec (named name, reached at where below
-- parent). Raises on any mistake. flags.store is set when a node is stored.
local function compile(spec, name, where, parent, flags)
  if type(spec) ~= "table" then
    bad(where, "a node spec must be a table")
  end
  local kids = {}
  for k, v in pairs(spec) do
    if type(k) ~= "string" then
      bad(where, "unexpected key %s", tostring(k))
    elseif TOP[k] then
      if parent then
        bad(where, "%s belongs at the top of the spec (a child of that "
            .. "name goes in nodes = { ... })", k)
      end
    elseif not ATTRS[k] then
      kids[k] = v
    end
  end
  if spec.nodes ~= nil and type(spec.nodes) ~= "table" then
    bad(where, "nodes must be a table of child specs")
  end
  for k, v in pairs(spec.nodes or {}) do
    if kids[k] then
      bad(where, "child %s given twice", k)
    end
    kids[k] = v
  end

  local interior = parent == nil or spec.format == "node" or next(kids) ~= nil
      or spec.children ~= nil
  local node = {
    name = name, leaf = not interior, kids = {}, order = {},
    format = spec.format or (interior and "node" or "chr"),
    type = spec.type or (not interior and "text/plain" or nil),
    stored = spec.store == true or (parent ~= nil and parent.stored),
  }
  node.access, node.access_str = parse_access(spec.access or "Get", where)
  if not value.formats[node.format] then
    bad(where, "unknown format %q", tostring(node.format))
  elseif interior and node.format ~= "node" then
    bad(where, "has children, so its format must be node")
  end
  for _, k in ipairs { "acl", "description", "title", "occurrence", "type" } do
    if spec[k] ~= nil and type(spec[k]) ~= "string" then
      bad(where, "%s must be a string", k)
    end
    node[k] = spec[k] or node[k]
  end
  for _, k in ipairs { "get", "replace", "add", "delete", "exec",
      "children" } do
    if spec[k] ~= nil and type(spec[k]) ~= "function" then
      bad(where, "%s must be a function", k)
    end
    node[k] = spec[k]
  end
  if interior and spec.get then
    bad(where, "an interior node lists its children with children, not get")
  end
  local scope = spec.scope
  if scope ~= nil and scope ~= "device" and scope ~= "user" and scope ~= "both"
  then
    bad(where, 'scope must be "device", "user" or "both"')
  end
  node.scope = scope

  if spec.default ~= nil then
    local d, why = value.tostring(spec.default)
    why = why or value.check(node.format, d)
    if why then
      bad(where, "default: %s", why)
    end
    node.default = d
  end
  if type(spec.validate) == "string" then
    -- a pattern always matches the whole value
    local p = spec.validate:gsub("^%^", ""):gsub("([^%%])%$$", "%1")
    node.validate = "^" .. p .. "$"
    if not pcall(string.find, "", node.validate) then
      bad(where, "validate: bad Lua pattern %q", spec.validate)
    end
  elseif spec.validate ~= nil and type(spec.validate) ~= "function" then
    bad(where, "validate must be a function or a Lua pattern")
  else
    node.validate = spec.validate
  end
  if spec.values ~= nil then
    if type(spec.values) ~= "table" then
      bad(where, "values must be a list")
    end
    node.values = {}
    for i, v in ipairs(spec.values) do
      node.values[i] = assert(value.tostring(v))
    end
  end
  for _, k in ipairs { "min", "max" } do
    if spec[k] ~= nil then
      if type(spec[k]) ~= "number" or
          (node.format ~= "int" and node.format ~= "float") then
        bad(where, "%s needs a number and format int or float", k)
      end
      node[k] = spec[k]
    end
  end
  if node.stored then
    flags.store = true
  end

  for k, v in pairs(kids) do
    if k == "*" then
      node.star = compile(v, "*", where .. "/*", node, flags)
    elseif k == "" or k:find("/", 1, true) then
      bad(where, "bad child name %q", k)
    else
      node.kids[k] = compile(v, k, where .. "/" .. k, node, flags)
      node.order[#node.order + 1] = k
    end
  end
  table.sort(node.order)
  -- an open node: stored, interior, declaring no children; a server may
  -- add any node below it
  node.open = node.stored and interior and #node.order == 0 and not node.star
  if node.children and not node.star then
    bad(where, 'children names the instances of a "*" child; declare one')
  end
  check_verbs(node, where)
  return node
end

M.compile = compile

return M
