-- Tests of lua/dm/ddf.lua: the DDF 1.2 description of csp.define
-- declarations, and of every shipped CSP made with csp.define (checked
-- against tests/data/ddf/ddf-1.2.dtd with xmllint).

local ddf = require "dm.ddf"
local csp = require "dm.csp"

local DTD = ROOT .. "/tests/data/ddf/ddf-1.2.dtd"

local EXAMPLE = {
  mount = "./Vendor/Example",
  description = "An example <with> & markup",
  scope = "device",
  Port = { access = "Get Replace", format = "int", min = 1, max = 65535,
    default = 443, replace = function() end, title = "TCP port" },
  Restart = { access = "Exec", format = "null", exec = function() end },
  Users = {
    children = function() return {} end,
    ["*"] = {
      title = "UserName",
      Shell = { get = function() return "/bin/sh" end },
    },
  },
  Notes = { store = true, access = "Get Add Replace Delete" },
  Slots = { occurrence = "ZeroOrN 4", format = "node" },
}

-- The text of xml between <Node><NodeName>name</NodeName> and the
-- DFProperties' end: that node's own properties.
local function props(xml, name)
  local tag = name == "" and "<NodeName/>" or
      "<NodeName>" .. name .. "</NodeName>"
  local at = assert(xml:find(tag, 1, true), "no node " .. name)
  local stop = assert(xml:find("</DFProperties>", at, true))
  return xml:sub(at, stop)
end

local function has(text, piece)
  ok(text:find(piece, 1, true), "expected " .. piece .. " in:\n" .. text)
end

-- Runs xmllint on xml against the DTD; returns true or false, its output.
local function valid(xml)
  local file = os.tmpname()
  local f = assert(io.open(file, "w"))
  f:write(xml)
  f:close()
  local p = assert(io.popen("xmllint --noout --nonet --dtdvalid '" .. DTD
      .. "' '" .. file .. "' 2>&1"))
  local out = p:read("a")
  local good = p:close()
  os.remove(file)
  return good, out
end

-- The declaration a shipped CSP passes to csp.define (nil for one that
-- builds its contract by hand).
local function declaration_of(name)
  local real, decl = csp.define, nil
  csp.define = function(d)
    decl = d
    return real(d)
  end
  local good, err = pcall(load_csp, name)
  csp.define = real
  assert(good, err)
  return decl
end

test("a node's properties come from its declaration", function()
  local xml = ddf.node(ddf.declaration(EXAMPLE), "./Vendor/Example", "")
  local top = props(xml, "Example")
  has(top, "<NodeName>Example</NodeName>\n  <Path>./Vendor</Path>")
  has(top, "<AccessType><Get/></AccessType>")
  has(top, "<Description>An example &lt;with&gt; &amp; markup. Only in "
      .. "the device scope (./Device/...).</Description>")
  has(top, "<DFFormat><node/></DFFormat>")
  has(top, "<Occurrence><One/></Occurrence>")
  has(top, "<Scope><Permanent/></Scope>")
  has(top, "<DFType><DDFName/></DFType>")

  local port = props(xml, "Port")
  has(port, "<AccessType><Get/><Replace/></AccessType>")
  has(port, "<DefaultValue>443</DefaultValue>")
  has(port, "<DFFormat><int/></DFFormat>")
  has(port, "<DFTitle>TCP port</DFTitle>")
  has(port, "<DFType><MIME>text/plain</MIME></DFType>")
  ok(not port:find("<Path>", 1, true), "only the top node has a Path")

  has(props(xml, "Restart"), "<AccessType><Exec/></AccessType>")
  has(props(xml, "Restart"), "<DFFormat><null/></DFFormat>")
  -- a stored leaf without default exists once added; Delete: Dynamic
  local notes = props(xml, "Notes")
  has(notes, "<AccessType><Add/><Delete/><Get/><Replace/></AccessType>")
  has(notes, "<Occurrence><ZeroOrOne/></Occurrence>")
  has(notes, "<Scope><Dynamic/></Scope>")
  has(props(xml, "Slots"), "<Occurrence><ZeroOrN>4</ZeroOrN></Occurrence>")

  -- "*": an empty NodeName, ZeroOrMore, Dynamic, its title
  local star = props(xml, "")
  has(star, "<Occurrence><ZeroOrMore/></Occurrence>")
  has(star, "<Scope><Dynamic/></Scope>")
  has(star, "<DFTitle>UserName</DFTitle>")
  -- children in declared order, the placeholder last, Shell inside it
  local order = {}
  for name in xml:gmatch("<NodeName>(%w+)</NodeName>") do
    order[#order + 1] = name
  end
  eq(table.concat(order, " "), "Example Notes Port Restart Slots Users Shell")
  ok(xml:find("<NodeName/>.-<NodeName>Shell</NodeName>"), xml)
  local good, out = valid(ddf.document { xml })
  ok(good, out)
end)

test("a path below the mount, through a placeholder", function()
  local root = ddf.declaration(EXAMPLE)
  local xml = ddf.node(root, "./Vendor/Example", "Users/alice/Shell")
  has(xml, "<NodeName>Shell</NodeName>\n  "
      .. "<Path>./Vendor/Example/Users/alice</Path>")
  has(ddf.node(root, "./Vendor/Example", "Users/alice"),
      "<NodeName>alice</NodeName>")
  -- another mount of the same CSP names its nodes after that mount
  has(ddf.node(root, "./SyncML/Example", "Port"),
      "<Path>./SyncML/Example</Path>")
  local none, why = ddf.node(root, "./Vendor/Example", "Nope")
  eq(none, nil)
  eq(why, "./Vendor/Example/Nope: not declared")
  eq(select(2, ddf.node(root, "./Vendor/Example", "Port/Deeper")),
      "./Vendor/Example/Port/Deeper: not declared")
end)

test("an occurrence the DTD does not know is left out", function()
  local root = ddf.declaration { mount = "./X",
    A = { occurrence = "Plenty", default = "1" } }
  local xml = ddf.node(root, "./X", "A")
  ok(not xml:find("Occurrence", 1, true), xml)
  has(xml, "<Path>./X</Path>")
  -- a mount right below the root has the root as its Path
  has(ddf.node(root, "./X", ""), "<NodeName>X</NodeName>\n  <Path>.</Path>")
end)

test("ddf.declaration checks the declaration as csp.define does",
    function()
  local good, err = pcall(ddf.declaration, { mount = "./X",
    A = { access = "Get Fly", default = "1" } })
  eq(good, false)
  has(err, 'unknown access type "Fly"')
end)

test("every shipped csp.define CSP gives a valid DDF", function()
  use_dm { csp = {} }
  local nodes, seen = {}, {}
  local p = assert(io.popen('ls "' .. ROOT .. '/csp-scripts"'))
  for file in p:lines() do
    local name = file:match("^(.*)%.lua$")
    local decl = name and declaration_of(name)
    if decl then
      local mounts = type(decl.mount) == "table" and decl.mount
          or { decl.mount }
      local root = ddf.declaration(decl)
      for _, m in ipairs(mounts) do
        nodes[#nodes + 1] = assert(ddf.node(root, m, ""))
        seen[#seen + 1] = name
      end
    end
  end
  p:close()
  local list = " " .. table.concat(seen, " ") .. " "
  for _, name in ipairs { "DevDetail", "DeviceStatus", "Files", "Hostname",
      "Packages", "Reboot", "Services", "TimeZone", "Users" } do
    ok(list:find(" " .. name .. " ", 1, true), name .. " missing:" .. list)
  end
  local doc = ddf.document(nodes, "Acme", "Rocket")
  has(doc, "<VerDTD>1.2</VerDTD>\n  <Man>Acme</Man>\n  <Mod>Rocket</Mod>")
  local good, out = valid(doc)
  ok(good, out)
  -- the Windows nodes keep Windows' names
  has(doc, "<NodeName>RebootNow</NodeName>")
  has(doc, "<DFTitle>MacAddress</DFTitle>")
end)
