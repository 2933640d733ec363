-- prelude.lua: the scenario API of dmtest (see tests/harness/README.md).
--
-- dmtest.c runs this file with two arguments: `native`, its C helpers
-- (run a program with a timeout, parse XML, evaluate XPath, mkdir -p; the
-- HTTP(S) server of dmserver.c; digests and base64 of dmcrypto.c), and
-- `opt` = { luadm, src, shared, scenario, tmp, keep }. It runs the scenario
-- file in an environment holding the API below, and that of server.lua
-- (the scripted server for `luadm session`), and returns the exit code:
-- 0 when every check passed, 1 otherwise.
--
-- Deliberately nothing here knows the core's SyncML model: server messages
-- are XML text, replies are checked with XPath on what luadm printed. In
-- the WBXML mode (DMTEST_WBXML=1, wbxml(true)) the messages go to luadm as
-- WBXML made by libwbxml2's xml2wbxml, and luadm's WBXML is read back with
-- wbxml2xml: never with the core's codec.

local native, opt = ...

local NS = 'xmlns="SYNCML:SYNCML1.2"'
local BODY = "/s:SyncML/s:SyncBody"
local HDR = "/s:SyncML/s:SyncHdr"
local TIMEOUT = tonumber(os.getenv("DMTEST_TIMEOUT")) or 60
local WRAP_CODE = tonumber(os.getenv("DMTEST_WRAP_CODE")) or 99
local VERBOSE = (os.getenv("DMTEST_VERBOSE") or "") ~= ""

local wrap = {}
for w in (os.getenv("LUADM_WRAP") or ""):gmatch("%S+") do
  wrap[#wrap + 1] = w
end

local dirs = {
  csp = opt.tmp .. "/csp",
  state = opt.tmp .. "/state",
  sysroot = opt.tmp .. "/sysroot",
}
assert(native.mkdirs(dirs.csp))
assert(native.mkdirs(dirs.state))

local out = io.stdout
local passed, failed = 0, 0
local current = nil          -- the scenario's name
local focus = nil            -- what the last check looked at (a context)
local shown = setmetatable({}, { __mode = "k" })  -- contexts printed

---------------------------------------------------------------- reporting

-- The scenario's lines, to quote the failing check.
local lines = {}
do
  local f = io.open(opt.scenario, "rb")
  if f then
    for l in f:lines() do
      lines[#lines + 1] = l
    end
    f:close()
  end
end

local shortname = opt.scenario
if shortname:sub(1, #opt.src + 1) == opt.src .. "/" then
  shortname = shortname:sub(#opt.src + 2)
end

-- The scenario line that led here: "file:line" (plus the lines that
-- called it when it is in a function of the scenario), and the line.
local function where()
  local src = "@" .. opt.scenario
  local found = {}
  for level = 2, 200 do
    local info = debug.getinfo(level, "Sl")
    if not info then
      break
    end
    if info.source == src and info.currentline > 0 then
      found[#found + 1] = info.currentline
    end
  end
  if #found == 0 then
    return shortname .. ":?", nil
  end
  local loc = shortname .. ":" .. found[1]
  if #found > 1 then
    loc = loc .. " (called from line " ..
        table.concat(found, ", ", 2) .. ")"
  end
  return loc, found[1]
end

-- Raises a scenario-writing mistake at the scenario's line.
local function bug(fmt, ...)
  error(where() .. ": " .. string.format(fmt, ...), 0)
end

local function show(v, depth)
  depth = depth or 0
  local t = type(v)
  if t == "string" then
    local s = v
    if #s > 4000 then
      s = s:sub(1, 4000) .. "...(" .. #v .. " bytes)"
    end
    s = s:gsub('[%c"\\]', function(c)
      if c == "\n" then return "\\n" end
      if c == "\t" then return "\\t" end
      if c == '"' then return '\\"' end
      if c == "\\" then return "\\\\" end
      return string.format("\\x%02X", c:byte())
    end)
    return '"' .. s .. '"'
  elseif t == "table" and depth < 4 then
    if getmetatable(v) and getmetatable(v).__tostring then
      return tostring(v)
    end
    local parts, n = {}, #v
    for i = 1, n do
      parts[#parts + 1] = show(v[i], depth + 1)
    end
    local keys = {}
    for k in pairs(v) do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then
        keys[#keys + 1] = k
      end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      parts[#parts + 1] = tostring(k) .. " = " .. show(v[k], depth + 1)
    end
    return "{ " .. table.concat(parts, ", ") .. " }"
  elseif v == nil then
    return "nothing (nil)"
  end
  return tostring(v)
end

local function indent(text, pfx)
  return (text:gsub("\n$", ""):gsub("([^\n]*)", pfx .. "%1", 1)
      :gsub("\n", "\n" .. pfx))
end

local function tail(text, n)
  local ls = {}
  for l in (text or ""):gmatch("[^\n]*") do
    ls[#ls + 1] = l
  end
  while #ls > 0 and ls[#ls] == "" do
    ls[#ls] = nil
  end
  local first = math.max(1, #ls - n + 1)
  local s = table.concat(ls, "\n", first)
  if first > 1 then
    s = "...(" .. (first - 1) .. " lines before)\n" .. s
  end
  return s
end

-- Records one check. ctx (optional) has :describe() -> text.
local function check(ok, label, expected, got, ctx, verb, quiet)
  local loc, line = where()
  if ok then
    if quiet then
      return true
    end
    passed = passed + 1
    if VERBOSE then
      out:write("ok   ", loc, ": ", label, "\n")
    end
    return true
  end
  failed = failed + 1
  local src = line and lines[line] and lines[line]:match("^%s*(.-)%s*$")
  out:write("\nFAIL ", loc, src and (": " .. src) or "", "\n")
  if current then
    out:write("     in scenario \"", current, "\"\n")
  end
  out:write("     ", label, "\n")
  out:write("     expected ", verb or "", verb and " " or "", show(expected),
      "\n")
  out:write("     got      ", show(got), "\n")
  if ctx and ctx.describe then
    if shown[ctx] then
      out:write("     | (", shown[ctx], ": shown above)\n")
    else
      local text = ctx:describe()
      shown[ctx] = text:match("^%-*%s*([^\n]-)%s*%-*\n") or "see above"
      out:write(indent(text, "     | "), "\n")
    end
  end
  out:flush()
  return false
end

---------------------------------------------------------------- expectations

local Expect = { is_expectation = true }
Expect.__index = Expect
Expect.__tostring = function(e) return tostring(e.value) end

local function expectation(value, label, ctx)
  return setmetatable({ value = value, label = label or "value",
      ctx = ctx }, Expect)
end

local function same(a, b)
  if type(a) == "table" and a.is_expectation then
    a = a.value
  end
  if type(b) == "table" and b.is_expectation then
    b = b.value
  end
  if a == b then
    return true
  end
  if type(a) == "number" and type(b) == "string" then
    return tonumber(b) == a
  elseif type(a) == "string" and type(b) == "number" then
    return tonumber(a) == b
  elseif type(a) == "table" and type(b) == "table" then
    for k, v in pairs(a) do
      if not same(v, b[k]) then
        return false
      end
    end
    for k in pairs(b) do
      if a[k] == nil then
        return false
      end
    end
    return true
  end
  return false
end

-- expect(actual [, label]) -> an expectation; see the checks below.
local function expect(v, label)
  if type(v) == "table" and v.is_expectation then
    if label then
      v.label = label
    end
    return v
  end
  return expectation(v, label, focus)
end

function Expect:is(want)
  check(same(want, self.value), self.label, want, self.value, self.ctx)
  return self
end

function Expect:is_not(want)
  check(not same(want, self.value), self.label, want, self.value,
      self.ctx, "anything but")
  return self
end

function Expect:matches(pattern)
  local ok = type(self.value) == "string" and
      self.value:find(pattern) ~= nil
  check(ok, self.label, pattern, self.value, self.ctx,
      "to match the Lua pattern")
  return self
end

local function has(v, s)
  if type(v) == "string" then
    return v:find(s, 1, true) ~= nil
  elseif type(v) == "table" then
    for _, x in pairs(v) do
      if same(s, x) then
        return true
      end
    end
  end
  return false
end

function Expect:contains(s)
  check(has(self.value, s), self.label, s, self.value, self.ctx,
      "to contain")
  return self
end

function Expect:lacks(s)
  check(self.value ~= nil and not has(self.value, s), self.label, s,
      self.value, self.ctx, "not to contain")
  return self
end

function Expect:is_nil()
  check(self.value == nil, self.label, nil, self.value, self.ctx)
  return self
end

function Expect:at_most(n)
  check(type(self.value) == "number" and self.value <= n, self.label, n,
      self.value, self.ctx, "at most")
  return self
end

function Expect:at_least(n)
  check(type(self.value) == "number" and self.value >= n, self.label, n,
      self.value, self.ctx, "at least")
  return self
end

---------------------------------------------------------------- files, config

local function xml_escape(s)
  return (tostring(s):gsub("[&<>\"]", {
    ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
  }))
end

local function write_file(path, data)
  local f, err = io.open(path, "wb")
  if not f then
    error("dmtest: " .. err, 0)
  end
  f:write(data)
  f:close()
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then
    return nil, err
  end
  local s = f:read("a")
  f:close()
  return s
end

local function src_path(p)
  if p:sub(1, 1) == "/" then
    return p
  end
  return opt.src .. "/" .. p
end

local cfg = {}          -- the scenario's config keys
local cfg_order = {}

local function lua_literal(v, depth)
  depth = depth or 0
  local t = type(v)
  if t == "string" then
    return string.format("%q", v)
  elseif t == "number" or t == "boolean" then
    return tostring(v)
  elseif t == "table" and depth < 10 then
    local parts, n = {}, #v
    for i = 1, n do
      parts[#parts + 1] = lua_literal(v[i], depth + 1)
    end
    local keys = {}
    for k in pairs(v) do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then
        keys[#keys + 1] = k
      end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      parts[#parts + 1] = "[" .. lua_literal(k, depth + 1) .. "] = " ..
          lua_literal(v[k], depth + 1)
    end
    return "{ " .. table.concat(parts, ", ") .. " }"
  end
  error("dmtest: config cannot hold a " .. t, 0)
end

local cfg_path = opt.tmp .. "/luadm.conf"

local function write_config()
  local keys = {
    state_dir = dirs.state,
    csp_path = { opt.src .. "/csp-scripts", dirs.csp },
  }
  local order = { "state_dir", "csp_path" }
  for _, k in ipairs(cfg_order) do
    if keys[k] == nil then
      order[#order + 1] = k
    end
    keys[k] = cfg[k]
  end
  local text = { "-- written by dmtest for " .. shortname }
  for _, k in ipairs(order) do
    text[#text + 1] = k .. " = " .. lua_literal(keys[k])
  end
  write_file(cfg_path, table.concat(text, "\n") .. "\n")
end

---------------------------------------------------------------- WBXML

-- The WBXML mode (DMTEST_WBXML=1, or wbxml(true) in a scenario): the
-- server's messages built by s:send and srv:send go to luadm as WBXML,
-- encoded by libwbxml2's xml2wbxml, and the client's WBXML messages are
-- decoded by wbxml2xml before the scenario sees them. libwbxml2 is an
-- implementation independent of core/codec_wbxml.c, so a codec bug cannot
-- hide in both halves of a test. Scenarios and their checks stay XML.
local WBXML_ENV = (os.getenv("DMTEST_WBXML") or "")
WBXML_ENV = WBXML_ENV ~= "" and WBXML_ENV ~= "0"
local wbxml_mode = WBXML_ENV
local wbxml_dir = opt.tmp .. "/wbxml"
local wbxml_seq = 0
-- what went through libwbxml2: server messages encoded, client messages
-- decoded; messages left in XML (wbxml_encode's as_xml)
local wbxml_stats = { encoded = 0, decoded = 0, as_xml = 0 }

-- The header xml2wbxml -n -v 1.2 writes: version 1.2 (0x02), public id
-- 0x1201 (mb_u_int32 A4 01), charset UTF-8 (MIBenum 106 = 0x6A), an empty
-- string table.
local WBXML_HEAD = "\x02\xA4\x01\x6A\x00"

-- A WBXML document starts with its version byte (1.0 to 1.3); XML text
-- starts with "<", a BOM or white space.
local function wbxml_sniff(bytes)
  local v = bytes:byte(1)
  return v ~= nil and v <= 0x03
end

-- Runs a libwbxml2 tool; nil, message when it fails.
local function wbxml_tool(argv)
  local res, err = native.run(argv, 60, opt.tmp)
  if not res then
    return nil, err
  end
  if res.code == 127 and res.stderr:find("^dmtest: cannot run") then
    error("dmtest: the WBXML mode needs " .. argv[1] ..
        " (Debian libwbxml2-utils, scripts/install-deps.sh)", 0)
  end
  if res.code ~= 0 or res.timed_out or res.signal then
    local msg = (res.stderr .. res.stdout):gsub("%s+$", "")
    return nil, string.format("%s exits %s: %s", argv[1],
        tostring(res.code or res.signal), msg)
  end
  return true
end

-- Notes what stays XML in the WBXML mode (printed, not a failure).
local function wbxml_note(text)
  wbxml_stats.as_xml = wbxml_stats.as_xml + 1
  out:write("note: ", text, "\n")
end

local function wbxml_base(name)
  assert(native.mkdirs(wbxml_dir))
  wbxml_seq = wbxml_seq + 1
  return string.format("%s/%03d-%s", wbxml_dir, wbxml_seq, name)
end

-- Meta Types xml2wbxml rewrites (docs/wbxml.md, libwbxml2 caveat 2): it
-- writes "+wbxml" for these "+xml" types, and luadm would see another
-- Type than the scenario sent.
local WBXML_REWRITTEN = { "application/vnd.syncml.dmtnds+xml",
  "application/vnd.syncml-devinf+xml" }

-- wbxml_encode(xml, name [, base]) -> bytes, path | nil, err, as_xml:
-- the XML text as WBXML 1.2 without a string table, white space kept
-- (`xml2wbxml -k -n -v 1.2`), checked to start with the header above.
-- as_xml (a reason) when the message can only go as XML: it holds an
-- element in none of SyncML's code pages (a scenario's <Frobnicate/>,
-- which WBXML cannot carry), a Meta Type xml2wbxml would rewrite, or
-- line ends in Data it would rewrite.
-- base: where to write base.xml and base.wbxml (default: a file in
-- <tmp>/wbxml).
local function wbxml_encode(xml, name, base)
  for _, t in ipairs(WBXML_REWRITTEN) do
    if xml:find(t, 1, true) then
      return nil, "Type " .. t, "it holds the Type " .. t ..
          ", which xml2wbxml rewrites to +wbxml"
    end
  end
  base = base or wbxml_base(name)
  write_file(base .. ".xml", xml)
  os.remove(base .. ".wbxml")
  local ok, err = wbxml_tool { "xml2wbxml", "-k", "-n", "-v", "1.2",
    "-o", base .. ".wbxml", base .. ".xml" }
  if not ok then
    return nil, err, err:find("can't encode Literal", 1, true) and
        "it holds an element WBXML has no token for (xml2wbxml: " ..
        "can't encode Literal)" or nil
  end
  local bytes = read_file(base .. ".wbxml")
  if not bytes or bytes:sub(1, #WBXML_HEAD) ~= WBXML_HEAD then
    return nil, "xml2wbxml wrote no WBXML 1.2 (version 0x02, public id " ..
        "0x1201, UTF-8): " .. show((bytes or ""):sub(1, 8))
  end
  -- xml2wbxml writes the line ends of Item Data it puts in OPAQUE as CRLF
  -- (unless its Type is text/clear or devinf): more CRLF than the text
  -- had CRs means a value luadm would get changed
  local doc = native.parse(xml)
  local text = doc and doc:xpath("string(/)") or ""
  local _, crs = text:gsub("\r", "")
  local _, crlfs = bytes:gsub("\r\n", "")
  if crlfs > crs then
    return nil, "line ends", "xml2wbxml would write its line ends in " ..
        "Data as CRLF"
  end
  wbxml_stats.encoded = wbxml_stats.encoded + 1
  return bytes, base .. ".wbxml"
end

-- wbxml_decode(bytes, name) -> xml | nil, err: `wbxml2xml -k -m 0`
-- (compact, white space kept, so that text comes back as it was).
local function wbxml_decode(bytes, name)
  local base = wbxml_base(name)
  write_file(base .. ".wbxml", bytes)
  os.remove(base .. ".xml")
  local ok, err = wbxml_tool { "wbxml2xml", "-k", "-m", "0",
    "-o", base .. ".xml", base .. ".wbxml" }
  if not ok then
    return nil, err
  end
  local xml = read_file(base .. ".xml")
  if not xml then
    return nil, "wbxml2xml wrote nothing"
  end
  -- wbxml2xml writes a CR of the text as a raw byte, which an XML parser
  -- reads as a line end (CRLF becomes LF): write it as a reference
  xml = xml:gsub("<!%[CDATA%[(.-)%]%]>", function(c)
    return "<![CDATA[" .. c:gsub("\r", "]]>&#13;<![CDATA[") .. "]]>"
  end):gsub("\r", "&#13;")
  wbxml_stats.decoded = wbxml_stats.decoded + 1
  return xml
end

---------------------------------------------------------------- running luadm

-- A context for failure reports: one luadm run.
local Run = {}
Run.__index = Run

local sanitizer_error

-- The part of luadm's stderr worth showing: from a sanitizer report's
-- first line (its error and stack), else the last lines.
local function stderr_excerpt(text, n)
  local at = sanitizer_error(text)
  if not at then
    return tail(text, n)
  end
  local start = text:sub(1, at):match(".*\n()") or 1
  local ls = {}
  for l in text:sub(start):gmatch("[^\n]*") do
    if #ls >= n then
      ls[#ls + 1] = "...(sanitizer report cut)"
      break
    end
    if l ~= "" then
      ls[#ls + 1] = l
    end
  end
  return table.concat(ls, "\n")
end

function Run:describe()
  local s = { string.format("$ %s", table.concat(self.argv, " ")) }
  s[#s + 1] = self:status_text()
  if self.stdout ~= "" then
    s[#s + 1] = "--- stdout ---"
    s[#s + 1] = tail(self.stdout, 40)
  end
  if self.stderr ~= "" then
    s[#s + 1] = "--- stderr (last lines) ---"
    s[#s + 1] = stderr_excerpt(self.stderr, 30)
  end
  return table.concat(s, "\n")
end

function Run:status_text()
  if self.timed_out then
    return string.format("(killed after %gs: timeout)", TIMEOUT)
  elseif self.signal then
    return string.format("(killed by signal %d)", self.signal)
  end
  return string.format("(exit %d, %.2fs)", self.code or -1, self.elapsed)
end

function sanitizer_error(text)
  return text:find("ERROR: AddressSanitizer", 1, true) or
      text:find("ERROR: LeakSanitizer", 1, true) or
      text:find(": runtime error: ", 1, true)
end

-- Runs luadm -c <config> args...; checks it neither crashed nor hung.
-- runner(argv) (optional) runs it instead of native.run, e.g. while a
-- scripted server answers it (server.lua); it returns what native.run does.
local function run_luadm(args, runner)
  write_config()
  local argv = {}
  for _, w in ipairs(wrap) do
    argv[#argv + 1] = w
  end
  argv[#argv + 1] = opt.luadm
  argv[#argv + 1] = "-c"
  argv[#argv + 1] = cfg_path
  for _, a in ipairs(args) do
    argv[#argv + 1] = a
  end
  local res, err
  if runner then
    res, err = runner(argv)
  else
    res, err = native.run(argv, TIMEOUT, opt.tmp)
  end
  if not res then
    error("dmtest: cannot run luadm: " .. err, 0)
  end
  if res.code == 127 and res.stderr:find("^dmtest: cannot run") then
    error((res.stderr:gsub("\n$", "")), 0)
  end
  res.argv = argv
  setmetatable(res, Run)
  local what = "luadm " .. table.concat(args, " ", 1, math.min(#args, 3))
  -- checks of every run: counted only when they fail
  check(not res.timed_out, what .. " finishes in time", "to finish",
      "killed after " .. TIMEOUT .. "s", res, nil, true)
  check(res.timed_out or not res.signal, what .. " exits normally",
      "an exit code", res.signal and ("signal " .. res.signal), res, nil,
      true)
  check(not sanitizer_error(res.stderr), what ..
      ": no sanitizer report on stderr", "none", "a report", res, nil, true)
  if #wrap > 0 then
    check(res.code ~= WRAP_CODE, what .. ": the wrapper (" ..
        table.concat(wrap, " ") .. ") found no error",
        "exit other than " .. WRAP_CODE, res.code, res, nil, true)
  end
  return res
end

---------------------------------------------------------------- replies

local Reply = {}
Reply.__index = Reply

local function xq(s)
  s = tostring(s)
  if not s:find("'", 1, true) then
    return "'" .. s .. "'"
  elseif not s:find('"', 1, true) then
    return '"' .. s .. '"'
  end
  local parts = {}
  for piece in (s .. "'"):gmatch("([^']*)'") do
    parts[#parts + 1] = "'" .. piece .. "'"
  end
  return "concat(" .. table.concat(parts, ", \"'\", ") .. ")"
end

function Reply:describe()
  local s = {}
  local run = self.session.res
  if self.missing then
    s[#s + 1] = string.format("--- no reply %d in session %d %s ---",
        self.n, self.session.id, run:status_text())
  else
    local m = self.session.msgs[self.n]
    s[#s + 1] = string.format("--- reply %d of session %d %s%s ---", self.n,
        self.session.id, run:status_text(), m and m.wbxml_bytes and
        string.format(", to message %d sent as WBXML (%d bytes)", self.n,
        m.wbxml_bytes) or "")
    if self.doc then
      s[#s + 1] = (self.doc:pretty():gsub("^<%?xml[^\n]*\n", "")
          :gsub("\n$", ""))
    else
      s[#s + 1] = "(not XML: " .. tostring(self.err) .. ")"
      s[#s + 1] = self.xml
    end
  end
  if run.stderr ~= "" then
    s[#s + 1] = "--- luadm stderr (last lines) ---"
    s[#s + 1] = tail(run.stderr, 30)
  end
  return table.concat(s, "\n")
end

-- r:xpath(expr): a node set as a list of strings, or a number, boolean or
-- string. Prefixes: s = SYNCML:SYNCML1.2, m = syncml:metinf.
function Reply:xpath(expr)
  focus = self
  if not self.doc then
    return {}
  end
  return self.doc:xpath(expr)
end

-- The first node's string value, or nil.
function Reply:text(expr)
  local v = self:xpath(expr)
  if type(v) == "table" then
    return v[1]
  end
  return v
end

function Reply:count(expr)
  focus = self
  if not self.doc then
    return 0
  end
  return self.doc:xpath("count(" .. expr .. ")")
end

local Status = {}
Status.__index = Status

function Status:__tostring()
  return string.format("Status %s for %s %s%s", tostring(self.code),
      tostring(self.cmd), tostring(self.cmdref),
      self.targetref and (" " .. self.targetref) or "")
end

-- Every Status of the reply, in order; with cmdref, only those for it.
-- Each: { cmdid, msgref, cmdref, cmd, code (number), data, targetref,
-- targetrefs, sourceref }.
function Reply:statuses(cmdref)
  focus = self
  if not self.status_list then
    local list = {}
    for i = 1, self:count(BODY .. "/s:Status") do
      local b = BODY .. "/s:Status[" .. i .. "]"
      local st = setmetatable({
        cmdid = self:text(b .. "/s:CmdID"),
        msgref = self:text(b .. "/s:MsgRef"),
        cmdref = self:text(b .. "/s:CmdRef"),
        cmd = self:text(b .. "/s:Cmd"),
        data = self:text(b .. "/s:Data"),
        targetrefs = self:xpath(b .. "/s:TargetRef"),
        sourcerefs = self:xpath(b .. "/s:SourceRef"),
        index = i,
        reply = self,
      }, Status)
      st.code = tonumber(st.data)
      st.targetref = st.targetrefs[1]
      st.sourceref = st.sourcerefs[1]
      list[#list + 1] = st
    end
    self.status_list = list
  end
  focus = self
  if cmdref == nil then
    return table.move(self.status_list, 1, #self.status_list, 1, {})
  end
  local sel = {}
  for _, st in ipairs(self.status_list) do
    if st.cmdref == tostring(cmdref) then
      sel[#sel + 1] = st
    end
  end
  return sel
end

-- A status lookup: what :is() checks against.
local Lookup = {}
Lookup.__index = Lookup

function Lookup:is(code)
  local label = self.what
  if #self.found == 0 then
    check(false, label, code, "no such Status", self.reply)
  elseif #self.found > 1 then
    local codes = {}
    for _, st in ipairs(self.found) do
      codes[#codes + 1] = st.code
    end
    check(false, label .. " (one Status expected)", code, codes, self.reply)
  else
    check(same(code, self.code), label .. " (" ..
        tostring(self.found[1].cmd) .. ")", code, self.code, self.reply)
  end
  return self
end

function Lookup:is_not(code)
  check(#self.found == 1 and not same(code, self.code), self.what,
      code, self.code, self.reply, "one Status, anything but")
  return self
end

local function lookup(reply, what, found)
  local st = found[1] or {}
  return setmetatable({
    what = what, found = found, reply = reply,
    code = #found == 1 and st.code or nil,
    cmd = st.cmd, cmdref = st.cmdref, cmdid = st.cmdid, msgref = st.msgref,
    targetref = st.targetref, targetrefs = st.targetrefs,
    sourceref = st.sourceref, data = st.data,
  }, Lookup)
end

-- r:status(cmdref): the one Status answering that command.
function Reply:status(cmdref)
  return lookup(self, "Status for CmdRef " .. tostring(cmdref),
      self:statuses(cmdref))
end

-- r:status_for(cmdref, targetref): the Status of one Item of a command.
function Reply:status_for(cmdref, targetref)
  local sel = {}
  for _, st in ipairs(self:statuses(cmdref)) do
    for _, t in ipairs(st.targetrefs) do
      if t == targetref then
        sel[#sel + 1] = st
        break
      end
    end
  end
  return lookup(self, "Status for CmdRef " .. tostring(cmdref) ..
      " TargetRef " .. targetref, sel)
end

local Item = {}
Item.__index = Item

function Item:data()
  return expectation(self.value, self.label .. " Data", self.reply)
end

function Item:source()
  return expectation(self.source_uri, self.label .. " Source LocURI",
      self.reply)
end

function Item:target()
  return expectation(self.target_uri, self.label .. " Target LocURI",
      self.reply)
end

function Item:format()
  return expectation(self.fmt, self.label .. " Meta Format", self.reply)
end

function Item:type()
  return expectation(self.mime, self.label .. " Meta Type", self.reply)
end

local Results = {}
Results.__index = Results

local function first(res)
  local it = rawget(res, 1)
  if it then
    return it
  end
  return setmetatable({ label = "Results item (there is none) for CmdRef " ..
      tostring(res.cmdref), reply = res.reply }, Item)
end

function Results:data() return first(self):data() end
function Results:source() return first(self):source() end
function Results:format() return first(self):format() end
function Results:type() return first(self):type() end
function Results:count() return #self end
function Results:item(i)
  return rawget(self, i) or setmetatable({ label = "Results item " .. i ..
      " (there is none) for CmdRef " .. tostring(self.cmdref),
      reply = self.reply }, Item)
end

-- r:results(cmdref): the Items of every Results answering cmdref, in
-- order (a list: #res, res[i]); res.commands = how many Results commands.
function Reply:results(cmdref)
  local sel = BODY .. "/s:Results[s:CmdRef=" .. xq(cmdref) .. "]"
  local res = setmetatable({ cmdref = cmdref, reply = self,
      commands = self:count(sel) }, Results)
  for c = 1, res.commands do
    local cb = "(" .. sel .. ")[" .. c .. "]"
    local cfmt = self:text(cb .. "/s:Meta/m:Format")
    local ctype = self:text(cb .. "/s:Meta/m:Type")
    for i = 1, self:count(cb .. "/s:Item") do
      local ib = cb .. "/s:Item[" .. i .. "]"
      res[#res + 1] = setmetatable({
        label = "Results item " .. (#res + 1) .. " for CmdRef " ..
            tostring(cmdref),
        reply = self,
        value = self:text(ib .. "/s:Data"),
        source_uri = self:text(ib .. "/s:Source/s:LocURI"),
        target_uri = self:text(ib .. "/s:Target/s:LocURI"),
        fmt = self:text(ib .. "/s:Meta/m:Format") or cfmt,
        mime = self:text(ib .. "/s:Meta/m:Type") or ctype,
      }, Item)
    end
  end
  focus = self
  return res
end

-- The CmdIDs of the reply's commands, in order (numbers when numeric).
function Reply:cmdids()
  local ids = {}
  for _, v in ipairs(self:xpath(BODY .. "/*/s:CmdID")) do
    ids[#ids + 1] = tonumber(v) or v
  end
  return ids
end

-- The names of the reply's commands in SyncBody, in order.
function Reply:commands()
  focus = self
  if not self.doc then
    return {}
  end
  local names = {}
  for i = 1, self:count(BODY .. "/*") do
    names[i] = self:text("local-name(" .. BODY .. "/*[" .. i .. "])")
  end
  return names
end

function Reply:msgid()
  local v = self:text("/s:SyncML/s:SyncHdr/s:MsgID")
  return tonumber(v) or v
end

function Reply:hdr(name)
  return self:text("/s:SyncML/s:SyncHdr/s:" .. name)
end

function Reply:final()
  return self:count(BODY .. "/s:Final") > 0
end

-- Alerts of the reply: { { cmdid, code }, ... }.
function Reply:alerts()
  local list = {}
  for i = 1, self:count(BODY .. "/s:Alert") do
    local b = BODY .. "/s:Alert[" .. i .. "]"
    list[i] = { cmdid = self:text(b .. "/s:CmdID"),
        code = tonumber(self:text(b .. "/s:Data")) }
  end
  return list
end

---------------------------------------------------------------- sessions

local Session = {}
Session.__index = Session
local sessions = {}
local session_keys = { server_id = true, devid = true, source = true,
  server_uri = true, ui = true, session_id = true }

-- session { server_id = "srv", devid = "DEV", source = URI, server_uri,
-- ui = "accept"|"reject"|"unsupported", session_id = "1" }
local function new_session(o)
  o = o or {}
  if type(o) ~= "table" then
    bug("session takes a table: session { server_id = \"srv\" }")
  end
  for k in pairs(o) do
    if not session_keys[k] then
      bug("session: unknown option %s (known: server_id, devid, " ..
          "source, server_uri, ui, session_id)", show(k))
    end
  end
  if o.ui and not (o.ui == "accept" or o.ui == "reject" or
      o.ui == "unsupported") then
    bug("session: ui is accept, reject or unsupported, not %s", show(o.ui))
  end
  local s = setmetatable({
    id = #sessions + 1,
    server_id = o.server_id == nil and "srv" or o.server_id,
    devid = o.devid == nil and "DEV" or o.devid,
    source = o.source or "https://dm.example.test/dm",
    server_uri = o.server_uri,
    ui = o.ui,
    session_id = o.session_id or "1",
    msgs = {},
  }, Session)
  sessions[#sessions + 1] = s
  return s
end

function Session:describe()
  local s = { string.format("--- session %d: %d message(s) ---", self.id,
      #self.msgs) }
  if self.res then
    s[#s + 1] = self.res:describe()
  end
  return table.concat(s, "\n")
end

function Session:queue(text, how, wb)
  if self.res then
    bug("session %d already ran (luadm replay runs all its messages " ..
        "at once): start a new session()", self.id)
  end
  self.msgs[#self.msgs + 1] = { text = text, how = how, wbxml = wb }
  return #self.msgs
end

-- s:send(body [, opts]): one server message around body. opts: final
-- (default true), msgid, session_id, verdtd, verproto, target, source,
-- hdr (extra XML at the end of SyncHdr, e.g. Cred or Meta), wbxml
-- (true|false: as WBXML or XML, whatever the mode).
function Session:send(body, o)
  o = o or {}
  if type(body) ~= "string" then
    bug("s:send takes the SyncBody's XML text")
  end
  local n = #self.msgs + 1
  local text = table.concat {
    "<SyncML ", NS, "><SyncHdr>",
    "<VerDTD>", o.verdtd or "1.2", "</VerDTD>",
    "<VerProto>", o.verproto or "DM/1.2", "</VerProto>",
    "<SessionID>", xml_escape(o.session_id or self.session_id),
    "</SessionID>",
    "<MsgID>", xml_escape(o.msgid or n), "</MsgID>",
    "<Target><LocURI>", xml_escape(o.target or self.devid or "DEV"),
    "</LocURI></Target>",
    "<Source><LocURI>", xml_escape(o.source or self.source),
    "</LocURI></Source>",
    o.hdr or "",
    "</SyncHdr><SyncBody>", body,
    o.final == false and "" or "<Final/>",
    "</SyncBody></SyncML>",
  }
  local doc, err = native.parse(text)
  if not doc then
    bug("message %d is not well-formed XML (%s):\n%s", n, err, text)
  end
  local wb = o.wbxml
  if wb == nil then
    wb = wbxml_mode
  end
  return self:queue(text, "send", wb)
end

-- s:send_raw(text): exactly these bytes as the next message.
function Session:send_raw(text)
  return self:queue(text, "raw")
end

-- s:send_file(path): a file's bytes (path relative to the repo root).
function Session:send_file(path)
  local data, err = read_file(src_path(path))
  if not data then
    bug("send_file: %s", err)
  end
  return self:queue(data, "file " .. path)
end

-- Splits luadm's stdout into replies: each ends with "</SyncML>\n".
local function split_replies(text)
  local list, pos = {}, 1
  while true do
    local s, e = text:find("</SyncML>\n", pos, true)
    if not s then
      break
    end
    list[#list + 1] = text:sub(pos, s + #"</SyncML>" - 1)
    pos = e + 1
  end
  local rest = text:sub(pos)
  if rest:find("%S") then
    list[#list + 1] = rest
  end
  return list
end

-- s:run(): runs one `luadm replay` with every queued message (one
-- session) and returns the replies; later calls return the same.
function Session:run()
  if self.res then
    return self.replies
  end
  if #self.msgs == 0 then
    bug("session %d: nothing was sent", self.id)
  end
  local dir = opt.tmp .. "/session-" .. self.id
  assert(native.mkdirs(dir))
  local args = { "replay" }
  if self.server_id then
    args[#args + 1] = "--server-id"
    args[#args + 1] = self.server_id
  end
  if self.devid then
    args[#args + 1] = "--devid"
    args[#args + 1] = self.devid
  end
  if self.server_uri then
    args[#args + 1] = "--server-uri"
    args[#args + 1] = self.server_uri
  end
  if self.ui then
    args[#args + 1] = "--ui"
    args[#args + 1] = self.ui
  end
  for i, m in ipairs(self.msgs) do
    local f = string.format("%s/msg-%d.xml", dir, i)
    write_file(f, m.text)
    if m.wbxml then
      -- msg-N.xml stays beside msg-N.wbxml, for DMTEST_KEEP
      local bytes, path, as_xml = wbxml_encode(m.text, nil,
          (f:gsub("%.xml$", "")))
      if bytes then
        m.wbxml_bytes = #bytes
        f = path
      elseif as_xml then
        wbxml_note(string.format("message %d of session %d goes as XML: " ..
            "%s", i, self.id, as_xml))
      else
        bug("message %d of session %d cannot go as WBXML: %s", i,
            self.id, path)
      end
    end
    args[#args + 1] = f
  end
  self.res = run_luadm(args)
  self.replies = {}
  for i, text in ipairs(split_replies(self.res.stdout)) do
    local doc, err = native.parse(text)
    local r = setmetatable({ session = self, n = i, xml = text, doc = doc,
        err = err }, Reply)
    self.replies[i] = r
    check(doc ~= nil, "reply " .. i .. " of session " .. self.id ..
        " is well-formed XML", "XML", err, r, nil, true)
  end
  focus = self
  return self.replies
end

-- s:reply([n]): the reply to message n (default: the last message sent).
function Session:reply(n)
  self:run()
  n = n or #self.msgs
  local r = self.replies[n]
  if not r then
    r = setmetatable({ session = self, n = n, missing = true }, Reply)
    check(false, "message " .. n .. " of session " .. self.id ..
        " gets a reply", "a reply", "none", r)
  end
  focus = r
  return r
end

-- s:no_reply(n): checks that message n got no reply.
function Session:no_reply(n)
  self:run()
  local r = self.replies[n]
  check(r == nil, "message " .. n .. " of session " .. self.id ..
      " gets no reply", "no reply", r and "a reply", r or self)
  focus = self
end

function Session:exit_code()
  self:run()
  focus = self
  return self.res.code
end

function Session:stderr()
  self:run()
  focus = self
  return self.res.stderr
end

function Session:stdout()
  self:run()
  focus = self
  return self.res.stdout
end

function Session:elapsed()
  self:run()
  focus = self
  return self.res.elapsed
end

-- s:finish(): runs the session and checks luadm exited 0.
function Session:finish()
  self:run()
  check(self.res.code == 0, "session " .. self.id .. ": luadm replay exits 0",
      0, self.res.code, self)
end

---------------------------------------------------------------- the tree

local TreeExpect = setmetatable({}, { __index = Expect })
TreeExpect.__index = TreeExpect
TreeExpect.__tostring = Expect.__tostring

function TreeExpect:is(want)
  if self.code ~= 0 then
    check(false, self.label, want, "exit " .. tostring(self.code) ..
        ": " .. self.stderr:gsub("\n$", ""), self.ctx)
    return self
  end
  return Expect.is(self, want)
end

-- t:fails(status): luadm exited non-zero, naming that DM status.
function TreeExpect:fails(status)
  check(self.code ~= 0 and (status == nil or
      self.stderr:find("(" .. status .. ")", 1, true) ~= nil),
      self.label .. " fails", "failure (" .. tostring(status) .. ")",
      "exit " .. tostring(self.code) .. ", stdout " .. show(self.value) ..
      ", stderr " .. show(self.stderr), self.ctx)
  return self
end

local function tree_cmd(verb, uri, ...)
  local args = { "tree", verb, uri, ... }
  local res = run_luadm(args)
  local value = res.stdout:gsub("\n$", "")
  local e = setmetatable({ value = value, label = "luadm " ..
      table.concat(args, " "), ctx = res, code = res.code,
      stdout = res.stdout, stderr = res.stderr }, TreeExpect)
  focus = res
  return e
end

-- tree_get(uri): `luadm tree get URI` after the sessions; an expectation
-- on its stdout (.code, .stderr; :fails(404) when the node is absent).
local function tree_get(uri)
  return tree_cmd("get", uri)
end

-- luadm(args...): runs luadm with the scenario's config; { stdout,
-- stderr, code }.
local function luadm(...)
  local res = run_luadm({ ... })
  focus = res
  return res
end

---------------------------------------------------------------- builders

local function target(uri)
  return "<Target><LocURI>" .. xml_escape(uri) .. "</LocURI></Target>"
end

local function items(uris)
  local s = {}
  for _, u in ipairs(uris) do
    s[#s + 1] = "<Item>" .. target(u) .. "</Item>"
  end
  return table.concat(s)
end

local builders = {}

-- Get(cmdid, uri, ...): one Get with an Item per URI.
function builders.Get(id, ...)
  return "<Get><CmdID>" .. id .. "</CmdID>" .. items({ ... }) .. "</Get>"
end

-- Replace(cmdid, uri, data) / Add(cmdid, uri [, data]): one Item (Add
-- without data adds an interior node).
function builders.Replace(id, uri, data)
  return "<Replace><CmdID>" .. id .. "</CmdID><Item>" .. target(uri) ..
      "<Data>" .. xml_escape(data) .. "</Data></Item></Replace>"
end

function builders.Add(id, uri, data)
  if data == nil then
    return "<Add><CmdID>" .. id .. "</CmdID><Item>" .. target(uri) ..
        '<Meta><Format xmlns="syncml:metinf">node</Format></Meta>' ..
        "</Item></Add>"
  end
  return "<Add><CmdID>" .. id .. "</CmdID><Item>" .. target(uri) ..
      "<Data>" .. xml_escape(data) .. "</Data></Item></Add>"
end

function builders.Delete(id, ...)
  return "<Delete><CmdID>" .. id .. "</CmdID>" .. items({ ... }) ..
      "</Delete>"
end

function builders.Exec(id, uri, data)
  return "<Exec><CmdID>" .. id .. "</CmdID><Item>" .. target(uri) ..
      (data and ("<Data>" .. xml_escape(data) .. "</Data>") or "") ..
      "</Item></Exec>"
end

function builders.Alert(id, code, ...)
  local extra = table.concat({ ... })
  return "<Alert><CmdID>" .. id .. "</CmdID><Data>" .. code .. "</Data>" ..
      extra .. "</Alert>"
end

---------------------------------------------------------------- the API

local api = {}

-- scenario "name": names the test (several split a file into parts).
function api.scenario(name)
  current = tostring(name)
  out:write("== ", current, "\n")
end

-- csp("Name", source): a CSP script Name.lua in the scenario's csp dir.
function api.csp(name, source)
  if type(name) ~= "string" or not name:match("^[%w_.-]+$") then
    bug("csp: a CSP name is [A-Za-z0-9_.-]+, not %s", show(name))
  end
  write_file(dirs.csp .. "/" .. name:gsub("%.lua$", "") .. ".lua", source)
end

-- use_csp(path): copies a CSP file (relative to the repo root) in.
function api.use_csp(path)
  local data, err = read_file(src_path(path))
  if not data then
    bug("use_csp: %s", err)
  end
  write_file(dirs.csp .. "/" .. path:match("[^/]+$"), data)
end

-- config { key = value, ... }: adds keys to the luadm configuration.
function api.config(t)
  for k, v in pairs(t) do
    if cfg[k] == nil then
      cfg_order[#cfg_order + 1] = k
    end
    cfg[k] = v
  end
end

-- sysroot { ["/etc/machine-id"] = "...", ... }: files under a temporary
-- system root, which becomes the config's sysroot.
function api.sysroot(files)
  for path, data in pairs(files) do
    if type(path) ~= "string" or path:sub(1, 1) ~= "/" or
        path:find("/../", 1, true) then
      bug("sysroot: %s is not an absolute path", show(path))
    end
    local full = dirs.sysroot .. path
    assert(native.mkdirs(full:match("^(.*)/[^/]*$")))
    write_file(full, data)
  end
  api.config { sysroot = dirs.sysroot }
end

api.session = new_session
api.expect = expect
api.tree_get = tree_get
api.tree = tree_cmd
api.luadm = luadm
api.esc = xml_escape
api.src = function(p) return opt.src .. "/" .. p end
api.shared = function(p) return opt.shared .. "/" .. p end
api.tmpdir = opt.tmp
api.BODY = BODY        -- XPath of SyncBody, for r:xpath
api.HDR = HDR
for k, v in pairs(builders) do
  api[k] = v
end

-- wbxml([on]): with an argument, the server's messages built from now on
-- (s:send, and srv:send in sessions run from now on) go as WBXML (true)
-- or XML (false); returns whether they do. DMTEST_WBXML=1 starts with true.
function api.wbxml(on)
  if on ~= nil then
    wbxml_mode = on and true or false
  end
  return wbxml_mode
end

-- fail(msg): an unconditional failed check (for custom logic).
function api.fail(msg)
  check(false, msg, "not to get here", "here", focus)
end

-- ok(cond, msg): a check of a boolean.
function api.ok(cond, msg)
  check(cond and true or false, msg or "condition", true, cond, focus)
end

---------------------------------------------------------------- the server

-- server.lua adds the scripted HTTP(S) server for `luadm session`; it gets
-- the internals it builds on.
do
  local path = opt.src .. "/tests/harness/server.lua"
  local chunk, err = loadfile(path, "t")
  if not chunk then
    error("dmtest: " .. err, 0)
  end
  local more = chunk {
    native = native, opt = opt, out = out, dirs = dirs,
    TIMEOUT = TIMEOUT, BODY = BODY, HDR = HDR,
    check = check, expect = expect, expectation = expectation, bug = bug,
    show = show, indent = indent, tail = tail, same = same,
    stderr_excerpt = stderr_excerpt,
    Reply = Reply, Run = Run, run_luadm = run_luadm,
    xml_escape = xml_escape, write_file = write_file, read_file = read_file,
    src_path = src_path, config = api.config, cfg = cfg, tree = tree_cmd,
    set_focus = function(x) focus = x end,
    wbxml = { encode = wbxml_encode, decode = wbxml_decode,
      sniff = wbxml_sniff, stats = wbxml_stats, note = wbxml_note,
      mode = function() return wbxml_mode end },
  }
  for k, v in pairs(more) do
    api[k] = v
  end
end

---------------------------------------------------------------- main

local env = setmetatable(api, { __index = _G })
out:write("dmtest: ", shortname, "\n")
local chunk, err = loadfile(opt.scenario, "t", env)
if not chunk then
  failed = failed + 1
  out:write("\nERROR ", err, "\n")
else
  local ok, e = xpcall(chunk, debug.traceback)
  if not ok then
    failed = failed + 1
    out:write("\nERROR ", tostring(e), "\n")
    if focus and focus.describe then
      out:write(indent(focus:describe(), "     | "), "\n")
    end
  end
  -- a session sent but never looked at still runs (crashes, leaks)
  for _, s in ipairs(sessions) do
    if not s.res and #s.msgs > 0 then
      local ok2, e2 = pcall(s.run, s)
      if not ok2 then
        failed = failed + 1
        out:write("\nERROR ", tostring(e2), "\n")
      end
    end
  end
end
if wbxml_stats.encoded + wbxml_stats.decoded > 0 then
  out:write(string.format("\nwbxml: %d message(s) of the server encoded " ..
      "by xml2wbxml, %d of the client decoded by wbxml2xml%s\n",
      wbxml_stats.encoded, wbxml_stats.decoded, wbxml_stats.as_xml > 0 and
      string.format("; %d left in XML (see the notes)", wbxml_stats.as_xml)
      or ""))
end
if WBXML_ENV and wbxml_stats.encoded == 0 then
  failed = failed + 1
  out:write("\nFAIL ", shortname, ": DMTEST_WBXML=1 but no message went " ..
      "as WBXML (send_raw and send_file stay as they are): leave the " ..
      "file out of the WBXML runs (tests/harness/CMakeLists.txt)\n")
end
if passed + failed == 0 then
  failed = 1
  out:write("\nFAIL ", shortname, ": the scenario checked nothing\n")
end
if failed > 0 and not opt.keep then
  out:write("\n(DMTEST_KEEP=1 keeps the scenario's directory: config, ",
      "messages, state)\n")
end
out:write(string.format("\n%d passed, %d failed\n", passed, failed))
out:flush()
return failed > 0 and 1 or 0
