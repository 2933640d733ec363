-- dm.ddf: the OMA DM DDF 1.2 description (Device Description Framework,
-- the XML a server reads to learn a device's tree) of a CSP, from its
-- csp.define declaration. `luadm ddf` prints it for every mounted CSP.
--
--   local ddf = require "dm.ddf"
--   ddf.node(root, "./Vendor/X", "")      -- <Node> of the mount, as text
--   ddf.declaration(decl)                 -- compiles decl (dm.spec) first
--   ddf.document({ node, ... })           -- a whole <MgmtTree> document
--
-- root is the node tree dm.spec compiles from a declaration. Each node
-- gives one <Node> with its DFProperties, in the order the DTD wants:
--
--   AccessType    the node's access (Add Copy Delete Exec Get Replace)
--   DefaultValue  its default, if any
--   Description   its description; a node limited to one scope says so
--   DFFormat      its format
--   Occurrence    its occurrence, else ZeroOrMore for a "*" placeholder,
--                 ZeroOrOne for a stored leaf that exists once added, One
--   Scope         Dynamic for a "*" placeholder and a node that may be
--                 deleted, else Permanent
--   DFTitle       its title
--   DFType        MIME type of a leaf, an empty DDFName for an interior node
--
-- A "*" placeholder is a <Node> with an empty <NodeName/>; its title (e.g.
-- "MacAddress") says what the names are.

local spec = require "dm.spec"

local ddf = {}

local ACCESS_ORDER = { "Add", "Copy", "Delete", "Exec", "Get", "Replace" }
local OCCURRENCES = { One = true, ZeroOrOne = true, ZeroOrMore = true,
  OneOrMore = true, ZeroOrN = true, OneOrN = true }

-- s with the characters XML text cannot hold as they are escaped.
local function esc(s)
  return (tostring(s):gsub("[&<>]", { ["&"] = "&amp;", ["<"] = "&lt;",
    [">"] = "&gt;" }))
end

-- An element with text, or an empty one when text is "".
local function element(name, text)
  if text == "" then
    return "<" .. name .. "/>"
  end
  return "<" .. name .. ">" .. esc(text) .. "</" .. name .. ">"
end

-- "ZeroOrN 5" -> <ZeroOrN>5</ZeroOrN>; nil for a value the DTD lacks.
local function occurrence(node)
  local o = node.occurrence
  if o == nil then
    if node.name == "*" then
      o = "ZeroOrMore"
    elseif node.leaf and node.stored and not node.get and node.default == nil
    then
      o = "ZeroOrOne"
    else
      o = "One"
    end
  end
  local kind, n = o:match("^(%a+)[%s:=]*(%d*)$")
  if not (kind and OCCURRENCES[kind]) then
    return nil
  end
  if kind == "ZeroOrN" or kind == "OneOrN" then
    return "<" .. kind .. ">" .. n .. "</" .. kind .. ">"
  end
  return "<" .. kind .. "/>"
end

local function properties(node, out, pad)
  local function put(line)
    out[#out + 1] = pad .. "  " .. line
  end
  out[#out + 1] = pad .. "<DFProperties>"
  local access = {}
  for _, a in ipairs(ACCESS_ORDER) do
    if node.access[a] then
      access[#access + 1] = "<" .. a .. "/>"
    end
  end
  put("<AccessType>" .. table.concat(access) .. "</AccessType>")
  if node.leaf and node.default ~= nil then
    put(element("DefaultValue", node.default))
  end
  local text = node.description
  if node.scope == "device" or node.scope == "user" then
    text = (text and text .. ". " or "") .. "Only in the " .. node.scope
        .. " scope (./" .. (node.scope == "device" and "Device" or "User")
        .. "/...)."
  end
  if text then
    put(element("Description", text))
  end
  put("<DFFormat><" .. node.format .. "/></DFFormat>")
  local occ = occurrence(node)
  if occ then
    put("<Occurrence>" .. occ .. "</Occurrence>")
  end
  local dynamic = node.name == "*" or node.access.Delete
  put("<Scope><" .. (dynamic and "Dynamic" or "Permanent") .. "/></Scope>")
  if node.title then
    put(element("DFTitle", node.title))
  end
  if node.leaf then
    put("<DFType>" .. element("MIME", node.type or "text/plain")
        .. "</DFType>")
  else
    put("<DFType><DDFName/></DFType>")
  end
  out[#out + 1] = pad .. "</DFProperties>"
end

-- Appends the lines of node's <Node> (named name; with <Path> when path is
-- given) and those of its subtree to out.
local function render(node, name, path, out, pad)
  out[#out + 1] = pad .. "<Node>"
  out[#out + 1] = pad .. "  " .. element("NodeName", name)
  if path then
    out[#out + 1] = pad .. "  " .. element("Path", path)
  end
  properties(node, out, pad .. "  ")
  for _, kid in ipairs(node.order) do
    render(node.kids[kid], kid, nil, out, pad .. "  ")
  end
  if node.star then
    render(node.star, "", nil, out, pad .. "  ")
  end
  out[#out + 1] = pad .. "</Node>"
end

-- The <Node> element (text) describing the node at path (relative to
-- mount; "" for the mount) of the compiled tree root, with its subtree and
-- a <Path> naming its parent. A segment that names no declared child
-- follows the "*" placeholder. Returns nil, message when the declaration
-- has no such node.
function ddf.node(root, mount, path)
  local node, uri = root, mount
  for seg in (path or ""):gmatch("[^/]+") do
    local kid = not node.leaf and (node.kids[seg] or node.star)
    if not kid then
      return nil, uri .. "/" .. seg .. ": not declared"
    end
    node, uri = kid, uri .. "/" .. seg
  end
  local parent, name = uri:match("^(.*)/([^/]+)$")
  local out = {}
  render(node, name, parent, out, "")
  return table.concat(out, "\n") .. "\n"
end

-- Compiles the declaration decl (what csp.define takes) into the node tree
-- ddf.node reads, raising as csp.define does on a mistake.
function ddf.declaration(decl)
  local mount = type(decl.mount) == "table" and decl.mount[1] or decl.mount
  return spec.compile(decl, mount:match("([^/]+)$"), mount, nil, {})
end

-- A whole DDF document around <Node> texts (from ddf.node). man and mod
-- (optional) fill <Man> and <Mod>.
function ddf.document(nodes, man, mod)
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE MgmtTree PUBLIC "-//OMA//DTD-DM-DDF 1.2//EN"',
    '  "http://www.openmobilealliance.org/tech/DTD/DM_DDF-V1_2.dtd">',
    "<MgmtTree>",
    "  <VerDTD>1.2</VerDTD>",
  }
  if man then
    out[#out + 1] = "  " .. element("Man", man)
  end
  if mod then
    out[#out + 1] = "  " .. element("Mod", mod)
  end
  for _, text in ipairs(nodes) do
    for line in text:gmatch("[^\n]+") do
      out[#out + 1] = "  " .. line
    end
  end
  out[#out + 1] = "</MgmtTree>"
  return table.concat(out, "\n") .. "\n"
end

return ddf
