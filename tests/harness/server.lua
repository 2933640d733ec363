-- server.lua: the scripted DM server of dmtest, for `luadm session` over
-- HTTP or HTTPS (tests/harness/README.md, "Sessions over HTTPS").
--
-- prelude.lua loads this file with its internals (checks, Reply, running
-- luadm) and adds what it returns to the scenario API: server, auth, pki,
-- say. The transport is dmserver.c; the credentials (Basic, MD5, HMAC) are
-- computed here from the digests of dmcrypto.c, independently of
-- core/auth.c, and the certificates are made with the openssl command.
--
-- A scenario is a dialogue: the server's handlers, queued with
-- srv:on_message(fn), answer the client's messages in order; each gets
-- the client's message (a ClientMsg, with the XPath helpers of replies)
-- and returns a response built by srv:send(body), srv:finish(),
-- srv:http(code), srv:drop(), ...
--
-- In the WBXML mode (prelude.lua) the server's SyncML messages go out as
-- WBXML encoded by libwbxml2's xml2wbxml (Server:wire) and the client's
-- WBXML is decoded by wbxml2xml before the handlers see it
-- (Server:read_body), which also checks every request is in the encoding
-- luadm owes and says so in its Content-Type.

local H = ...
local native, opt = H.native, H.opt
local check, expectation, bug, show = H.check, H.expectation, H.bug, H.show
local BODY, HDR = H.BODY, H.HDR
local esc = H.xml_escape
local Reply = H.Reply

local CT_XML = "application/vnd.syncml.dm+xml"
local CT_WBXML = "application/vnd.syncml.dm+wbxml"
local WB = H.wbxml
local NS = 'xmlns="SYNCML:SYNCML1.2"'
local MI = ' xmlns="syncml:metinf"'
local SESSION_TIMEOUT = H.TIMEOUT

local b64, unb64 = native.b64encode, native.b64decode

local function hex(s)
  return (s:gsub(".", function(c)
    return string.format("%02X", c:byte())
  end))
end

local function copy(t)
  if type(t) ~= "table" then
    return t
  end
  local c = {}
  for k, v in pairs(t) do
    c[k] = v
  end
  return c
end

---------------------------------------------------------------- auth

-- The OMA DM credentials (omadm-spec.md section 3), the harness's own.
-- Nonces are raw bytes; results are base64 text.
local auth = {}

local function md5(s)
  return native.digest("MD5", s)
end

-- Basic: B64(name ":" secret)
function auth.basic(name, secret)
  return b64(name .. ":" .. secret)
end

-- MD5: B64(MD5(B64(MD5(name ":" secret)) ":" nonce))
function auth.md5(name, secret, nonce)
  return b64(md5(b64(md5(name .. ":" .. secret)) .. ":" .. (nonce or "")))
end

-- HMAC mac: B64(MD5(B64(MD5(name ":" secret)) ":" nonce ":" B64(MD5(body))))
function auth.hmac(name, secret, nonce, body)
  return b64(md5(b64(md5(name .. ":" .. secret)) .. ":" .. (nonce or "") ..
      ":" .. b64(md5(body))))
end

-- The x-syncml-hmac header value.
function auth.hmac_header(name, mac)
  return 'algorithm=MD5, username="' .. name .. '", mac=' .. mac
end

-- Parses an x-syncml-hmac value: { algorithm, username, mac } (names
-- lower-cased, quotes removed).
function auth.parse_hmac(v)
  local t = {}
  for part in ((v or "") .. ","):gmatch("([^,]*),") do
    local k, val = part:match("^%s*([%w-]+)%s*=%s*(.-)%s*$")
    if k then
      t[k:lower()] = val:match('^"(.*)"$') or val
    end
  end
  return t
end

auth.b64 = b64
auth.unb64 = unb64
auth.md5_raw = md5
auth.hex = hex

---------------------------------------------------------------- PKI

-- A test CA, another CA (which signed nothing the server uses), a server
-- certificate for 127.0.0.1/localhost and a client certificate, made
-- once per scenario with the openssl command in <tmp>/pki.
local pki_state

local PKI_CNF = [[
[req]
distinguished_name = dn
prompt = no
[dn]
CN = dmtest
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
]]

local function openssl(dir, args)
  local argv = { "openssl" }
  for _, a in ipairs(args) do
    argv[#argv + 1] = a
  end
  local res, err = native.run(argv, 60, dir)
  if not res or res.code ~= 0 then
    error("dmtest: " .. table.concat(argv, " ") .. " failed: " ..
        tostring(err or res.stderr), 0)
  end
end

local function new_cert(dir, name, cn, ext, ca)
  local args = { "req", "-config", "openssl.cnf", "-x509", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "7",
    "-keyout", name .. ".key", "-out", name .. ".pem", "-subj", "/CN=" .. cn,
    "-extensions", ext }
  if ca then
    for _, a in ipairs { "-CA", ca .. ".pem", "-CAkey", ca .. ".key" } do
      args[#args + 1] = a
    end
  end
  openssl(dir, args)
  openssl(dir, { "x509", "-in", name .. ".pem", "-outform", "DER", "-out",
    name .. ".der" })
  local der = assert(H.read_file(dir .. "/" .. name .. ".der"))
  return {
    cert = dir .. "/" .. name .. ".pem",
    key = dir .. "/" .. name .. ".key",
    der = der,
    b64 = b64(der),
    thumb = hex(native.digest("SHA1", der)),
    cn = cn,
  }
end

-- pki() -> { dir, ca, other_ca, server, client }: each { cert, key (PEM
-- paths), der, b64 (of the DER), thumb (SHA-1, upper-case hex), cn }.
local function pki()
  if pki_state then
    return pki_state
  end
  local dir = opt.tmp .. "/pki"
  assert(native.mkdirs(dir))
  H.write_file(dir .. "/openssl.cnf", PKI_CNF)
  local p = { dir = dir }
  p.ca = new_cert(dir, "ca", "dmtest CA", "ca")
  p.other_ca = new_cert(dir, "other-ca", "dmtest other CA", "ca")
  p.server = new_cert(dir, "server", "127.0.0.1", "server", "ca")
  p.client = new_cert(dir, "client", "dmtest client", "client", "ca")
  pki_state = p
  return p
end

---------------------------------------------------------------- summaries

local function short(s, n)
  s = tostring(s or ""):gsub("%s+", " ")
  n = n or 60
  if #s > n then
    return s:sub(1, n - 3) .. "..."
  end
  return s
end

-- Lines describing the commands under XPath base (SyncBody or a
-- container) of doc, indented by pfx.
local function summarize_cmds(doc, base, pfx, lines)
  local function x(e)
    local v = doc:xpath(e)
    if type(v) == "table" then
      return v[1]
    end
    return v
  end
  local n = doc:xpath("count(" .. base .. "/*)")
  for i = 1, n do
    local b = base .. "/*[" .. i .. "]"
    local name = x("local-name(" .. b .. ")")
    local id = x(b .. "/s:CmdID")
    if name == "Status" then
      local chal = x(b .. "/s:Chal/s:Meta/m:Type")
      lines[#lines + 1] = string.format("%sStatus %s for %s%s%s", pfx,
          tostring(x(b .. "/s:Data")), tostring(x(b .. "/s:Cmd")),
          x(b .. "/s:Cmd") == "SyncHdr" and "" or
          (" " .. tostring(x(b .. "/s:CmdRef"))),
          chal and (" + Chal " .. chal ..
          (x(b .. "/s:Chal/s:Meta/m:NextNonce") and " (NextNonce)" or ""))
          or "")
    elseif name == "Results" then
      local ni = doc:xpath("count(" .. b .. "/s:Item)")
      for j = 1, ni do
        local ib = b .. "/s:Item[" .. j .. "]"
        lines[#lines + 1] = string.format("%sResults for %s: %s = %s", pfx,
            tostring(x(b .. "/s:CmdRef")),
            tostring(x(ib .. "/s:Source/s:LocURI")),
            short(x(ib .. "/s:Data")))
      end
    elseif name == "Final" then
      lines[#lines + 1] = pfx .. "Final"
    elseif name == "Atomic" or name == "Sequence" then
      lines[#lines + 1] = string.format("%s%s (CmdID %s)", pfx, name,
          tostring(id))
      summarize_cmds(doc, b, pfx .. "  ", lines)
    elseif name == "Alert" then
      local data = x(b .. "/s:Item/s:Data")
      lines[#lines + 1] = string.format("%sAlert %s (CmdID %s)%s", pfx,
          tostring(x(b .. "/s:Data")), tostring(id),
          data and (": " .. short(data)) or "")
    else
      local ni = doc:xpath("count(" .. b .. "/s:Item)")
      local parts = {}
      for j = 1, ni do
        local ib = b .. "/s:Item[" .. j .. "]"
        local uri = x(ib .. "/s:Target/s:LocURI") or
            x(ib .. "/s:Source/s:LocURI") or "?"
        local data = x(ib .. "/s:Data")
        parts[#parts + 1] = data and (uri .. " = " .. short(data, 40)) or uri
      end
      lines[#lines + 1] = string.format("%s%s (CmdID %s) %s", pfx, name,
          tostring(id), table.concat(parts, ", "))
    end
  end
end

-- summarize(xml) -> text: one line per command of a SyncML message.
local function summarize(xml, pfx)
  pfx = pfx or "  "
  local doc, err = native.parse(xml or "")
  if not doc then
    return pfx .. "(not XML: " .. tostring(err) .. ")"
  end
  local function x(e)
    local v = doc:xpath(e)
    if type(v) == "table" then
      return v[1]
    end
    return v
  end
  local lines = {}
  local cred = x(HDR .. "/s:Cred/s:Meta/m:Type")
  local hdr = string.format("%sSyncHdr: SessionID %s, MsgID %s%s%s", pfx,
      tostring(x(HDR .. "/s:SessionID")), tostring(x(HDR .. "/s:MsgID")),
      cred and (", Cred " .. cred) or "",
      x(HDR .. "/s:RespURI") and (", RespURI " .. x(HDR .. "/s:RespURI"))
      or "")
  lines[1] = hdr
  summarize_cmds(doc, BODY, pfx, lines)
  return table.concat(lines, "\n")
end

---------------------------------------------------------------- messages

-- A message of the client, as the server received it: the Reply API
-- (xpath, statuses, results, alerts, cmdids, msgid, hdr, final) plus the
-- HTTP request: method, path, query, target, headers, body, conn (the
-- connection's number in the server's life), peer_cert, at (seconds into
-- the run), n (its number in the session).
local ClientMsg = setmetatable({}, { __index = Reply })
ClientMsg.__index = ClientMsg

function ClientMsg:describe()
  local s = { string.format("--- message %d of the client in session %d: " ..
      "%s %s (connection %s) ---", self.n, self.sess.n,
      tostring(self.method), tostring(self.target), tostring(self.conn)) }
  for _, h in ipairs(self.headers or {}) do
    s[#s + 1] = h[1] .. ": " .. h[2]
  end
  if self.wbxml then
    s[#s + 1] = string.format("(a WBXML body of %d bytes, shown as " ..
        "wbxml2xml decoded it)", #self.body)
  end
  if self.doc then
    s[#s + 1] = (self.doc:pretty():gsub("^<%?xml[^\n]*\n", "")
        :gsub("\n$", ""))
  else
    s[#s + 1] = "(not XML: " .. tostring(self.err) .. ")"
    s[#s + 1] = show(self.body)
  end
  return table.concat(s, "\n")
end

-- req:header(name): an expectation on a request header (any case).
function ClientMsg:header(name)
  H.set_focus(self)
  return expectation(self.header_map[name:lower()], "request header " ..
      name, self)
end

-- req:alert_data(code): checks an Alert with this Data is there; returns
-- { cmdid, code, items = { { data, type, format, source } } } or nil.
function ClientMsg:alert_data(code)
  local found
  for i = 1, self:count(BODY .. "/s:Alert") do
    local b = BODY .. "/s:Alert[" .. i .. "]"
    if tonumber(self:text(b .. "/s:Data")) == tonumber(code) then
      found = { cmdid = tonumber(self:text(b .. "/s:CmdID")),
          code = tonumber(code), items = {} }
      for j = 1, self:count(b .. "/s:Item") do
        local ib = b .. "/s:Item[" .. j .. "]"
        found.items[j] = { data = self:text(ib .. "/s:Data"),
            type = self:text(ib .. "/s:Meta/m:Type"),
            format = self:text(ib .. "/s:Meta/m:Format"),
            source = self:text(ib .. "/s:Source/s:LocURI") }
      end
      break
    end
  end
  check(found ~= nil, "the client's message " .. self.n ..
      " holds an Alert " .. code, "Alert " .. code,
      self:alerts(), self)
  return found
end

-- req:items(cmdid): the Items of the command with this CmdID, each
-- { source, target, data, type, format }; .cmd is the command's name.
function ClientMsg:items(cmdid)
  local b = BODY .. "/*[s:CmdID=" .. "'" .. tostring(cmdid) .. "']"
  local list = { cmd = self:text("local-name(" .. b .. ")") }
  for j = 1, self:count(b .. "/s:Item") do
    local ib = "(" .. b .. ")/s:Item[" .. j .. "]"
    list[j] = { source = self:text(ib .. "/s:Source/s:LocURI"),
        target = self:text(ib .. "/s:Target/s:LocURI"),
        data = self:text(ib .. "/s:Data"),
        type = self:text(ib .. "/s:Meta/m:Type"),
        format = self:text(ib .. "/s:Meta/m:Format") }
  end
  return list
end

-- req:cred() -> { type, format, data, name (Source LocName) } or nil.
function ClientMsg:cred()
  local b = HDR .. "/s:Cred"
  if self:count(b) == 0 then
    return nil
  end
  return { type = self:text(b .. "/s:Meta/m:Type"),
      format = self:text(b .. "/s:Meta/m:Format"),
      data = self:text(b .. "/s:Data"),
      name = self:text(HDR .. "/s:Source/s:LocName") }
end

-- req:cred_data(), req:cred_type(): expectations on the Cred's Data and
-- Meta Type (nil when there is no Cred).
function ClientMsg:cred_data()
  H.set_focus(self)
  return expectation((self:cred() or {}).data, "the Cred Data of the " ..
      "client's message " .. self.n, self)
end

function ClientMsg:cred_type()
  H.set_focus(self)
  return expectation((self:cred() or {}).type, "the Cred Type of the " ..
      "client's message " .. self.n, self)
end

-- What the client's Cred should be, with the nonce the server issued
-- last before this message: type, data, name.
local function expected_cred(m)
  local ca = m.srv.client_auth
  if not ca or ca.type == "hmac" then
    return nil
  end
  if ca.type == "basic" then
    return { type = "syncml:auth-basic", data = auth.basic(ca.name,
        ca.secret) }
  end
  return { type = "syncml:auth-md5", data = auth.md5(ca.name, ca.secret,
      m.client_nonce), name = ca.name }
end

local function cred_valid(m)
  local want, c = expected_cred(m), m:cred()
  if not want or not c then
    return false
  end
  return c.type == want.type and c.data == want.data and
      (want.name == nil or c.name == want.name)
end

-- req:cred_ok(): checks the Cred against the server's client_auth (type,
-- data computed by the harness with the nonce it issued last, and the
-- user name in Source/LocName for MD5). Returns true when it verifies.
function ClientMsg:cred_ok()
  local want = expected_cred(self)
  if not want then
    bug("cred_ok: the server has no Basic or MD5 client_auth")
  end
  local c = self:cred()
  local got = c and { type = c.type, data = c.data, name = want.name and
      c.name } or "no Cred"
  return check(cred_valid(self), "the Cred of the client's message " ..
      self.n .. " verifies (" .. want.type .. ", nonce " ..
      show(self.client_nonce) .. ")", want, got, self)
end

-- req:no_cred(): checks the message carries no Cred.
function ClientMsg:no_cred()
  return check(self:cred() == nil, "the client's message " .. self.n ..
      " carries no Cred", "no Cred", self:cred(), self)
end

local function hmac_valid(m)
  local ca = m.srv.client_auth
  local h = m.header_map["x-syncml-hmac"]
  if not ca or not h then
    return false, h
  end
  local p = auth.parse_hmac(h)
  local want = auth.hmac(ca.name, ca.secret, m.client_nonce, m.body)
  return (p.algorithm == nil or p.algorithm:upper() == "MD5") and
      p.username == ca.name and p.mac == want, h, want
end

-- req:hmac_ok(): checks the x-syncml-hmac header against the body, with
-- the client_auth name and secret and the nonce the server issued last.
function ClientMsg:hmac_ok()
  local ok, h, want = hmac_valid(self)
  return check(ok, "the x-syncml-hmac of the client's message " ..
      self.n .. " verifies (nonce " .. show(self.client_nonce) .. ")",
      want and auth.hmac_header(self.srv.client_auth.name, want) or
      "a header", h or "no header", self)
end

function ClientMsg:session_id()
  return self:hdr("SessionID")
end

function ClientMsg:target_uri()
  return self:hdr("Target/s:LocURI")
end

function ClientMsg:source_uri()
  return self:hdr("Source/s:LocURI")
end

-- req:summary(): one line per command.
function ClientMsg:summary(pfx)
  return summarize(self.xml, pfx)
end

---------------------------------------------------------------- runs

-- One `luadm session` against a server: its process, the client's
-- messages and the server's answers.
local SRun = {}
SRun.__index = SRun

local function response_summary(resp, pfx)
  pfx = pfx or "  "
  if resp.drop then
    return pfx .. "(connection dropped, no answer)"
  elseif resp.raw then
    return pfx .. "(raw bytes: " .. show(short(resp.raw, 60)) .. ")"
  end
  local s = {}
  if resp.delay and resp.delay > 0 then
    s[#s + 1] = string.format("%s(held %gs)", pfx, resp.delay)
  end
  if resp.content_length and resp.content_length > #(resp.body or "") then
    s[#s + 1] = string.format("%s(Content-Length %d, %d bytes sent, then " ..
        "closed)", pfx, resp.content_length, #(resp.body or ""))
  end
  if resp.kind == "syncml" then
    if (resp.status or 200) ~= 200 then
      s[#s + 1] = pfx .. "HTTP " .. resp.status
    end
    if resp.wbxml then
      s[#s + 1] = string.format("%s(WBXML, %d bytes)", pfx, resp.wbxml)
    end
    s[#s + 1] = summarize(resp.xml or resp.body, pfx)
  elseif (resp.body or "") == "" then
    s[#s + 1] = string.format("%sHTTP %d, empty body", pfx,
        resp.status or 200)
  else
    s[#s + 1] = string.format("%sHTTP %d, body %s", pfx, resp.status or 200,
        show(short(resp.body, 60)))
  end
  return table.concat(s, "\n")
end

-- run:transcript() -> text: who sent what, message by message.
function SRun:transcript()
  local s = {}
  for _, e in ipairs(self.exchange) do
    if e.who == "client" then
      local m = e.msg
      s[#s + 1] = string.format("client -> server  POST %s%s (connection " ..
          "%s)%s", tostring(m.path), m.query and ("?" .. m.query) or "",
          tostring(m.conn), m.wbxml and ", WBXML" or "")
      s[#s + 1] = m:summary("    ")
    else
      s[#s + 1] = "server -> client"
      s[#s + 1] = response_summary(e.resp, "    ")
    end
  end
  return table.concat(s, "\n")
end

function SRun:describe()
  local s = { string.format("--- session %d with %s ---", self.n,
      self.srv.url) }
  s[#s + 1] = string.format("$ %s", table.concat(self.res.argv, " "))
  s[#s + 1] = self.res:status_text() .. string.format(", %d message(s), " ..
      "%d connection(s)", #self.requests, self.res.accepts or 0)
  if #self.exchange > 0 then
    s[#s + 1] = self:transcript()
  end
  for _, e in ipairs(self.res.events or {}) do
    s[#s + 1] = "server: " .. e
  end
  if self.res.stderr ~= "" then
    s[#s + 1] = "--- luadm stderr (last lines) ---"
    s[#s + 1] = H.stderr_excerpt(self.res.stderr, 30)
  end
  return table.concat(s, "\n")
end

function SRun:exit_code()
  H.set_focus(self)
  return expectation(self.res.code, "luadm session: exit code", self)
end

function SRun:stderr()
  H.set_focus(self)
  return expectation(self.res.stderr, "luadm session: stderr", self)
end

function SRun:stdout()
  H.set_focus(self)
  return expectation(self.res.stdout, "luadm session: stdout", self)
end

-- run:connections(): TCP connections the server accepted during the run
-- (one TLS handshake each with tls).
function SRun:connections()
  H.set_focus(self)
  return expectation(self.res.accepts, "connections to the server " ..
      "during the session", self)
end

-- run:count(): how many messages (requests) the client sent.
function SRun:count()
  H.set_focus(self)
  return expectation(#self.requests, "messages the client sent", self)
end

-- run:request(n): the client's message n (a ClientMsg).
function SRun:request(n)
  local m = self.requests[n]
  if not m then
    check(false, "the client sent message " .. n, "message " .. n,
        #self.requests .. " message(s)", self)
    m = setmetatable({ srv = self.srv, sess = self, n = n, headers = {},
        header_map = {}, body = "", missing = true }, ClientMsg)
  end
  H.set_focus(m)
  return m
end

-- run:events(): the server's TLS and protocol failures, one per line
-- (text: check with :contains).
function SRun:events()
  H.set_focus(self)
  return expectation(table.concat(self.res.events or {}, "\n"),
      "the server's events (TLS, protocol)", self)
end

function SRun:elapsed()
  return expectation(self.res.elapsed, "luadm session: seconds", self)
end

-- run:finish(): checks luadm exited 0.
function SRun:finish()
  check(self.res.code == 0, "session " .. self.n .. ": luadm session " ..
      "exits 0", 0, self.res.code, self)
end

---------------------------------------------------------------- server

local Server = {}
Server.__index = Server

local ENCODING = { wbxml = CT_WBXML, xml = CT_XML }
local AAUTHTYPE = { basic = "BASIC", md5 = "DIGEST", hmac = "HMAC" }
local CRED_TYPE = { basic = "syncml:auth-basic", md5 = "syncml:auth-md5",
  hmac = "syncml:auth-MAC" }
local server_keys = { tls = true, path = true, server_id = true,
  name = true, client_cert = true, client_auth = true, server_auth = true,
  timeout = true }

local function check_auth(what, a, types)
  if a == nil then
    return nil
  end
  if type(a) ~= "table" or not types[a.type] then
    bug("server: %s.type is %s, not %s", what, show(a and a.type),
        table.concat((function()
          local l = {}
          for k in pairs(types) do l[#l + 1] = k end
          table.sort(l)
          return l
        end)(), "|"))
  end
  a = copy(a)
  a.name = a.name or "dmtest"
  a.secret = a.secret or "secret"
  return a
end

-- server { tls = true, path = "/dm", server_id = "dmtest",
--   client_cert = "require"|"request"|nil,
--   client_auth = { type = "basic"|"md5"|"hmac", name, secret, nonce,
--                   accept = 212|200 },
--   server_auth = { type = "md5"|"basic", name, secret, nonce,
--                   send = "until_accepted"|"always"|"never" },
--   timeout = seconds for each luadm run (DMTEST_TIMEOUT, 60) }
local function new_server(o)
  o = o or {}
  for k in pairs(o) do
    if not server_keys[k] then
      bug("server: unknown option %s", show(k))
    end
  end
  local tls = o.tls ~= false
  local cc = o.client_cert == true and "require" or o.client_cert
  if cc ~= nil and cc ~= "require" and cc ~= "request" then
    bug("server: client_cert is \"require\" or \"request\", not %s",
        show(cc))
  end
  if cc and not tls then
    bug("server: client_cert needs tls")
  end
  local nat
  if tls then
    local p = pki()
    nat = native.listen { tls = { cert = p.server.cert, key = p.server.key,
        client_ca = cc and p.ca.cert or nil, client_cert = cc } }
  else
    nat = native.listen {}
  end
  local srv = setmetatable({
    native = nat,
    tls = tls,
    port = nat:port(),
    path = o.path or "/dm",
    server_id = o.server_id or "dmtest",
    name = o.name or "dmtest server",
    client_cert = cc,
    client_auth = check_auth("client_auth", o.client_auth,
        { basic = true, md5 = true, hmac = true }),
    server_auth = check_auth("server_auth", o.server_auth,
        { basic = true, md5 = true }),
    timeout = o.timeout or SESSION_TIMEOUT,
    handlers = {},
    sessions = {},
    enrolments = 0,
  }, Server)
  if srv.client_auth and srv.client_auth.type == "hmac" and
      not srv.server_auth then
    bug("server: HMAC signs both ways; give server_auth { type = " ..
        "\"md5\", name, secret } for the server's side")
  end
  srv.base = (tls and "https" or "http") .. "://127.0.0.1:" .. srv.port
  srv.url = srv.base .. srv.path
  srv.client_nonce = srv.client_auth and srv.client_auth.nonce or ""
  srv.server_nonce = srv.server_auth and srv.server_auth.nonce or ""
  return srv
end

-- srv:account_id(): luadm's AccountID of the server's PROVIDER-ID
-- ("0x0000800c" .. SHA-256 of the UTF-16LE ServerID, upper-case hex).
function Server:account_id()
  local u = self.server_id:gsub(".", "%0\0")
  return "0x0000800c" .. hex(native.digest("SHA256", u))
end

local function parm(name, value)
  if value == nil then
    return ""
  end
  return string.format('      <parm name="%s" value="%s"/>\n', name,
      esc(value))
end

local function appauth(level, a)
  if not a then
    return ""
  end
  return "    <characteristic type=\"APPAUTH\">\n" ..
      parm("AAUTHLEVEL", level) ..
      parm("AAUTHTYPE", AAUTHTYPE[a.type]) ..
      parm("AAUTHNAME", a.name) ..
      parm("AAUTHSECRET", a.secret) ..
      parm("AAUTHDATA", a.nonce and a.nonce ~= "" and b64(a.nonce) or nil) ..
      "    </characteristic>\n"
end

-- srv:provisioning { ca = "other", client_cert = true, addr = URL,
--   parms = { NAME = value }, encoding = "wbxml"|"xml" } -> the
-- wap-provisioningdoc (XML text): the CA (or another one) as
-- CertificateStore/Root/System, the client certificate as My/User, the w7
-- APPLICATION with APPAUTH APPSRV (the client's credentials) and CLIENT
-- (the server's), short back-offs and, with encoding, DEFAULTENCODING
-- application/vnd.syncml.dm+wbxml (or +xml).
function Server:provisioning(o)
  o = o or {}
  local s = { '<wap-provisioningdoc version="1.1">\n' }
  if self.tls or o.ca then
    local p = pki()
    local ca = o.ca == "other" and p.other_ca or p.ca
    s[#s + 1] = string.format([[
  <characteristic type="CertificateStore">
    <characteristic type="Root">
      <characteristic type="System">
        <characteristic type="%s">
          <parm name="EncodedCertificate" value="%s"/>
        </characteristic>
      </characteristic>
    </characteristic>
  </characteristic>
]], ca.thumb, ca.b64)
    if o.client_cert then
      s[#s + 1] = string.format([[
  <characteristic type="CertificateStore">
    <characteristic type="My">
      <characteristic type="User">
        <characteristic type="%s">
          <parm name="EncodedCertificate" value="%s"/>
        </characteristic>
        <characteristic type="PrivateKeyContainer"/>
      </characteristic>
    </characteristic>
  </characteristic>
]], p.client.thumb, p.client.b64)
    end
  end
  local parms = {
    { "CONNRETRYFREQ", "1" },
    { "INITIALBACKOFFTIME", "100" },
    { "MAXBACKOFFTIME", "200" },
  }
  local more = copy(o.parms or {})
  if o.encoding ~= nil then
    if not ENCODING[o.encoding] then
      bug("enroll: encoding is \"wbxml\" or \"xml\", not %s",
          show(o.encoding))
    end
    more.DEFAULTENCODING = ENCODING[o.encoding]
  end
  for k, v in pairs(more) do
    local found = false
    for _, pv in ipairs(parms) do
      if pv[1] == k then
        pv[2] = v
        found = true
      end
    end
    if not found then
      parms[#parms + 1] = { k, v }
    end
  end
  table.sort(parms, function(a, b) return a[1] < b[1] end)
  s[#s + 1] = "  <characteristic type=\"APPLICATION\">\n" ..
      parm("APPID", "w7") ..
      parm("PROVIDER-ID", self.server_id) ..
      parm("NAME", self.name) ..
      parm("ADDR", o.addr or self.url)
  for _, pv in ipairs(parms) do
    s[#s + 1] = parm(pv[1], pv[2])
  end
  s[#s + 1] = appauth("APPSRV", self.client_auth)
  s[#s + 1] = appauth("CLIENT", self.server_auth)
  s[#s + 1] = "  </characteristic>\n</wap-provisioningdoc>\n"
  return table.concat(s)
end

-- srv:enroll([opts]): writes the provisioning document (srv:provisioning
-- opts) and runs `luadm bootstrap` on it (with --client-key when
-- opts.client_cert); checks it exits 0 (or fails when opts.fails).
-- Returns the run ({ code, stdout, stderr }). The document's
-- DEFAULTENCODING says whether package 1 must be WBXML (read_body).
function Server:enroll(o)
  o = o or {}
  self.enrolments = self.enrolments + 1
  local file = string.format("%s/provisioning-%d-%d.xml", opt.tmp,
      self.port, self.enrolments)
  local doc = o.doc or self:provisioning(o)
  H.write_file(file, doc)
  if not o.fails then
    -- what luadm's package 1 must be in (Server:read_body)
    local enc = doc:match('name="DEFAULTENCODING"%s+value="([^"]*)"')
    self.default_wbxml = enc ~= nil and enc:find("wbxml", 1, true) ~= nil
  end
  local args = { "bootstrap", file }
  if o.client_cert then
    args[#args + 1] = "--client-key"
    args[#args + 1] = pki().client.key
  end
  local res = H.run_luadm(args)
  if o.fails then
    check(res.code ~= 0, "luadm bootstrap fails", "non-zero exit",
        res.code, res)
  else
    check(res.code == 0, "luadm bootstrap " .. file:match("[^/]+$") ..
        " exits 0", 0, res.code, res)
  end
  H.set_focus(res)
  -- a new document's nonces are what both sides start from
  if self.client_auth and self.client_auth.nonce then
    self.client_nonce = self.client_auth.nonce
  end
  if self.server_auth and self.server_auth.nonce then
    self.server_nonce = self.server_auth.nonce
  end
  return res
end

-- srv:set_query(q): the account's Ext/luadm/Query, the query string luadm
-- adds to the POST URL (Windows servers want mode=Maintenance&...), set
-- as the local administrator through the DMAcc CSP.
function Server:set_query(q)
  local uri = "./DMAcc/" .. self:account_id() .. "/Ext/luadm/Query"
  local r = H.run_luadm({ "tree", "add", uri, q })
  if r.code ~= 0 then
    r = H.run_luadm({ "tree", "replace", uri, q })
  end
  check(r.code == 0, "luadm tree add " .. uri .. " exits 0", 0, r.code, r)
  H.set_focus(r)
  return r
end

-- srv:on_message(fn): fn answers the client's next message (in order:
-- the first call answers the first message of each session run). fn(req)
-- returns a response (srv:send, srv:finish, srv:http, ...). Every queued
-- handler must be used by the next run_session.
function Server:on_message(fn)
  if type(fn) ~= "function" then
    bug("on_message takes a function(req)")
  end
  self.handlers[#self.handlers + 1] = fn
end

-- srv:otherwise(fn): answers every message once the queue is used up
-- (nil: such a message fails the scenario and gets HTTP 503).
function Server:otherwise(fn)
  self.fallback = fn
end

-- The code and Chal of the server's Status for the client's SyncHdr.
function Server:hdr_status(m, o)
  local ca = self.client_auth
  local code = o.hdr_status
  local chal = o.chal
  if chal ~= nil and chal ~= false then
    chal = copy(chal)
  end
  if code == nil then
    if not ca then
      code = 200
    elseif ca.type == "hmac" then
      code = hmac_valid(m) and 200 or 401
      if chal == nil then
        chal = { type = "hmac" }	-- a new nonce with every message
      end
    elseif self.client_authed then
      code = 200
    elseif not m:cred() then
      code = 407
    elseif cred_valid(m) then
      code = ca.accept or 212
    else
      code = 401
    end
    if (code == 401 or code == 407) and chal == nil then
      chal = { type = ca.type }
    end
  end
  if code == 212 then
    self.client_authed = true
  end
  if chal == nil and o.next_nonce then
    chal = { type = ca and ca.type or "md5" }
  end
  if chal then
    if not CRED_TYPE[chal.type] then
      bug("chal.type is basic, md5 or hmac, not %s", show(chal.type))
    end
    if chal.type ~= "basic" then
      chal.nonce = chal.nonce or o.next_nonce or native.random(16)
      self.client_nonce = chal.nonce
    end
  end
  return code, chal or nil
end

local function chal_xml(chal)
  if not chal then
    return ""
  end
  return "<Chal><Meta><Type" .. MI .. ">" .. CRED_TYPE[chal.type] ..
      "</Type><Format" .. MI .. ">b64</Format>" ..
      (chal.nonce and ("<NextNonce" .. MI .. ">" .. b64(chal.nonce) ..
      "</NextNonce>") or "") .. "</Meta></Chal>"
end

local function status_xml(id, msgref, cmdref, cmd, code, extra)
  return "<Status><CmdID>" .. id .. "</CmdID><MsgRef>" .. esc(msgref) ..
      "</MsgRef><CmdRef>" .. esc(cmdref) .. "</CmdRef><Cmd>" .. esc(cmd) ..
      "</Cmd>" .. (extra or "") .. "<Data>" .. code .. "</Data></Status>"
end

-- srv:send(body [, opts]): a SyncML message answering the client's
-- message being handled: SyncHdr (VerDTD 1.2, VerProto DM/1.2, the
-- client's SessionID, MsgID 1, 2, ... in the session, Target = the
-- client's Source, Source = the server URL), the Status for the client's
-- SyncHdr (code from client_auth unless opts.hdr_status, Chal), a Status
-- 200 for each of the client's commands (not Status, Results), body, and
-- Final. The harness's Statuses take CmdIDs the body does not use.
-- opts: final (true), hdr_status, chal ({ type, nonce } or false),
-- next_nonce (a Chal with this NextNonce on success), cred (true|false|
-- "wrong": the server's Cred, default while the client has not accepted
-- it), hmac (true|false|"wrong"), resp_uri (a path or URL), statuses
-- (false: none for the client's commands), status_code (theirs, 200),
-- msgid, session_id, target, source, hdr (XML at the end of SyncHdr),
-- http_status, headers ({ {name, value} }), content_type, delay, close,
-- wbxml (true|false: this message as WBXML or XML, whatever the mode).
function Server:send(body, o)
  o = o or {}
  if type(body) ~= "string" then
    bug("srv:send takes the SyncBody's XML text")
  end
  local m = self.current
  if not m then
    bug("srv:send answers a client's message: call it in an " ..
        "on_message handler")
  end
  local sess = self.cur
  sess.msgid = sess.msgid + 1
  local used = {}
  for id in body:gmatch("<CmdID>%s*(%d+)%s*</CmdID>") do
    used[tonumber(id)] = true
  end
  local last = 0
  local function newid()
    repeat
      last = last + 1
    until not used[last]
    used[last] = true
    return last
  end
  local cmsgid = m:msgid() or 1
  local code, chal = self:hdr_status(m, o)
  local st = { status_xml(newid(), cmsgid, 0, "SyncHdr", code,
      "<TargetRef>" .. esc(m:target_uri() or "") .. "</TargetRef>" ..
      "<SourceRef>" .. esc(m:source_uri() or "") .. "</SourceRef>" ..
      chal_xml(chal)) }
  if o.statuses ~= false and m.doc then
    for i = 1, m:count(BODY .. "/*") do
      local b = BODY .. "/*[" .. i .. "]"
      local name = m:text("local-name(" .. b .. ")")
      if name ~= "Status" and name ~= "Results" and name ~= "Final" then
        st[#st + 1] = status_xml(newid(), cmsgid, m:text(b .. "/s:CmdID")
            or "", name, o.status_code or 200)
      end
    end
  end
  -- the server's credentials
  local sa = self.server_auth
  local hmac_mode = self.client_auth and self.client_auth.type == "hmac"
  local cred = o.cred
  if cred == nil then
    cred = sa ~= nil and not hmac_mode and sa.send ~= "never" and
        (sa.send == "always" or not self.server_authed)
  end
  local cred_xml, locname = "", ""
  if cred then
    if not sa then
      bug("srv:send: cred needs the server's server_auth")
    end
    local secret = cred == "wrong" and (sa.secret .. "-wrong") or sa.secret
    local data = sa.type == "basic" and auth.basic(sa.name, secret) or
        auth.md5(sa.name, secret, self.server_nonce)
    cred_xml = "<Cred><Meta><Type" .. MI .. ">" .. CRED_TYPE[sa.type] ..
        "</Type><Format" .. MI .. ">b64</Format></Meta><Data>" .. data ..
        "</Data></Cred>"
    if sa.type == "md5" then
      locname = "<LocName>" .. esc(sa.name) .. "</LocName>"
    end
  end
  local resp_uri = o.resp_uri
  if resp_uri and resp_uri:sub(1, 1) == "/" then
    resp_uri = self.base .. resp_uri
  end
  local text = table.concat {
    "<SyncML ", NS, "><SyncHdr>",
    "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>",
    "<SessionID>", esc(o.session_id or m:session_id() or "1"),
    "</SessionID>",
    "<MsgID>", esc(o.msgid or sess.msgid), "</MsgID>",
    "<Target><LocURI>", esc(o.target or m:source_uri() or ""),
    "</LocURI></Target>",
    "<Source><LocURI>", esc(o.source or self.url), "</LocURI>", locname,
    "</Source>",
    resp_uri and ("<RespURI>" .. esc(resp_uri) .. "</RespURI>") or "",
    cred_xml,
    o.hdr or "",
    "</SyncHdr><SyncBody>", table.concat(st), body,
    o.final == false and "" or "<Final/>",
    "</SyncBody></SyncML>",
  }
  local doc, err = native.parse(text)
  if not doc then
    bug("srv:send: the message is not well-formed XML (%s):\n%s", err, text)
  end
  local headers = { { "Content-Type", o.content_type or CT_XML } }
  for _, h in ipairs(o.headers or {}) do
    headers[#headers + 1] = h
  end
  -- the x-syncml-hmac header signs the bytes sent: it is made when the
  -- response goes out (Server:wire), after a WBXML encoding
  local hm = o.hmac
  if hm == nil then
    hm = hmac_mode
  end
  local sign
  if hm then
    sign = { name = sa.name, secret = sa.secret, nonce = self.server_nonce,
        wrong = hm == "wrong" }
  end
  return { kind = "syncml", status = o.http_status or 200,
      headers = headers, body = text, delay = o.delay, close = o.close,
      sign = sign, content_type_set = o.content_type ~= nil,
      as_wbxml = o.wbxml }
end

-- srv:finish([opts]): Status (and Final) only: the session ends.
function Server:finish(o)
  return self:send("", o)
end

-- srv:abort([opts]): Alert 1223, the server aborts the session.
function Server:abort(o)
  return self:send("<Alert><CmdID>100</CmdID><Data>1223</Data></Alert>", o)
end

-- srv:http(code [, body [, headers]]): a plain HTTP answer.
function Server:http(code, body, headers)
  return { kind = "http", status = code, body = body or "",
      headers = headers or { { "Content-Type", "text/plain" } } }
end

-- srv:body(text [, opts]): exactly this body with HTTP 200 (opts.status,
-- opts.headers, opts.content_type).
function Server:body(text, o)
  o = o or {}
  local headers = { { "Content-Type", o.content_type or CT_XML } }
  for _, h in ipairs(o.headers or {}) do
    headers[#headers + 1] = h
  end
  return { kind = "body", status = o.status or 200, body = text,
      headers = headers }
end

-- srv:empty(): HTTP 200 with an empty body.
function Server:empty()
  return { kind = "http", status = 200, body = "",
      headers = { { "Content-Type", CT_XML } } }
end

-- srv:garbage([text]): HTTP 200, a SyncML content type, not SyncML.
function Server:garbage(text)
  return self:body(text or "<SyncML this is not \1 SyncML")
end

-- srv:drop(): closes the connection without an answer.
function Server:drop()
  return { kind = "drop", drop = true }
end

-- srv:stall(seconds [, response]): holds the answer (default: finish).
function Server:stall(seconds, resp)
  resp = resp or self:finish()
  resp.delay = seconds
  return resp
end

-- srv:short(response [, missing]): announces missing (64) bytes more
-- than the body has, sends the body and closes the connection.
function Server:short(resp, missing)
  resp.missing = missing or 64		-- applied by Server:wire
  return resp
end

-- srv:truncate(response, keep): sends only the first keep bytes of the
-- body while announcing all of it, then closes the connection. In the
-- WBXML mode the bytes are the WBXML's; a keep at or past their end cuts
-- the last byte (a cut stays a cut).
function Server:truncate(resp, keep)
  resp.keep = keep			-- applied by Server:wire
  return resp
end

-- srv:raw(bytes): exactly these bytes on the connection (status line and
-- all), then it closes.
function Server:raw(bytes)
  return { kind = "raw", raw = bytes }
end

-- The client's body as XML: a WBXML body is decoded by wbxml2xml (m.xml;
-- m.body stays the bytes received, which an HMAC signs). Checks it is
-- well-formed, that its Content-Type says what it is, and that it is in
-- the encoding luadm owes: WBXML once the server spoke WBXML in the
-- session, before that the account's DEFAULTENCODING.
function Server:read_body(sess, m)
  local body = m.body
  local what = "message " .. m.n .. " of the client"
  m.xml = body
  m.wbxml = false
  if #body > 0 and WB.sniff(body) then
    m.wbxml = true
    local xml, err = WB.decode(body, string.format("client-%d-%d",
        sess.n, m.n))
    m.xml = xml or ""
    m.err = err
  end
  if #m.xml > 0 then
    m.doc, m.err = native.parse(m.xml)
  end
  check(m.doc ~= nil, what .. " is well-formed " .. (m.wbxml and
      "WBXML (wbxml2xml)" or "XML"), "SyncML", m.err or "an empty body",
      m, nil, true)
  if #body == 0 then
    return
  end
  local ct = m.header_map["content-type"]
  local want_ct = m.wbxml and CT_WBXML or CT_XML
  check(ct == want_ct, what .. ": the Content-Type says what the body is",
      want_ct, ct, m, nil, true)
  local owed = sess.expect_wbxml
  check(m.wbxml == owed, what .. " is " .. (owed and "WBXML" or "XML") ..
      " (" .. sess.expect_why .. ")", owed and "WBXML" or "XML",
      m.wbxml and "WBXML" or "XML", m, nil, true)
end

-- Turns a handler's response into what goes on the wire: a SyncML
-- message as WBXML (xml2wbxml) when the session speaks it, with the
-- Content-Type to match; the x-syncml-hmac over the bytes sent; a body cut
-- (srv:truncate) or a Content-Length over it (srv:short). Notes what the
-- client owes next (sess.expect_wbxml).
function Server:wire(sess, resp)
  if resp.kind == "syncml" and not resp.xml then
    resp.xml = resp.body
    local bytes, err, as_xml
    local want = resp.as_wbxml
    if want == nil then
      want = sess.wbxml
    end
    if want then
      bytes, err, as_xml = WB.encode(resp.body, string.format(
          "server-%d-%d", sess.n, #sess.requests))
      if as_xml then
        WB.note(string.format("the server's answer to message %d of " ..
            "session %d goes as XML: %s", #sess.requests, sess.n, as_xml))
      elseif not bytes then
        error("the server's answer to message " .. #sess.requests ..
            " cannot go as WBXML: " .. err, 0)
      end
    end
    if bytes then
      resp.body = bytes
      resp.wbxml = #bytes
      if not resp.content_type_set then
        for _, h in ipairs(resp.headers) do
          if h[1]:lower() == "content-type" then
            h[2] = CT_WBXML
          end
        end
      end
    end
    if resp.sign then
      local sg = resp.sign
      local signed = sg.wrong and (resp.body .. " ") or resp.body
      table.insert(resp.headers, 2, { "x-syncml-hmac",
          auth.hmac_header(sg.name, auth.hmac(sg.name, sg.secret, sg.nonce,
          signed)) })
    end
    if (resp.status or 200) == 200 and not resp.keep and
        not resp.missing then
      sess.expect_wbxml = resp.wbxml ~= nil
      sess.expect_why = "the server's last message was " ..
          (resp.wbxml and "WBXML" or "XML")
    end
  end
  if resp.keep then
    local keep = resp.keep
    if resp.wbxml and keep >= resp.wbxml then
      -- counted in XML bytes, past the end of the WBXML: still a cut
      keep = resp.wbxml - 1
      H.out:write(string.format("note: srv:truncate: %d bytes are past " ..
          "the end of the %d bytes of WBXML: cut after %d\n", resp.keep,
          resp.wbxml, keep))
    end
    resp.content_length = #(resp.body or "")
    resp.body = (resp.body or ""):sub(1, keep)
    resp.keep = nil
  end
  if resp.missing then
    resp.content_length = #(resp.body or "") + resp.missing
    resp.missing = nil
  end
  return resp
end

-- The native handler: records the client's message, picks the scenario's
-- handler, returns its response.
function Server:serve_one(sess, handlers, raw)
  local m = setmetatable({
    srv = self, sess = sess, n = #sess.requests + 1,
    method = raw.method, target = raw.target, path = raw.path,
    query = raw.query, version = raw.version, headers = raw.headers,
    header_map = raw.header, body = raw.body, xml = raw.body,
    conn = raw.conn, tls = raw.tls, peer_cert = raw.peer_cert, at = raw.at,
    client_nonce = self.client_nonce, server_nonce = self.server_nonce,
  }, ClientMsg)
  self:read_body(sess, m)
  sess.requests[m.n] = m
  sess.exchange[#sess.exchange + 1] = { who = "client", msg = m }
  -- the client's Status for our SyncHdr: accepted, and the nonce for our
  -- next Cred or HMAC
  if m.doc then
    local b = BODY .. "/s:Status[s:CmdRef='0']"
    local code = tonumber(m:text(b .. "/s:Data"))
    if code == 212 then
      self.server_authed = true
    end
    local nn = m:text(b .. "/s:Chal/s:Meta/m:NextNonce")
    if nn then
      self.server_nonce = unb64(nn) or self.server_nonce
    end
  end
  local fn
  if sess.used < #handlers then
    sess.used = sess.used + 1
    fn = handlers[sess.used]
  elseif self.fallback then
    fn = self.fallback
  else
    check(false, "every message of the client has a handler " ..
        "(srv:on_message)", "at most " .. #handlers .. " message(s)",
        "message " .. m.n, m)
    fn = function()
      return self:http(503, "dmtest: no handler for this message")
    end
  end
  self.current = m
  local ok, resp = xpcall(fn, debug.traceback, m)
  self.current = nil
  if ok and type(resp) ~= "table" then
    ok, resp = false, "the handler for message " .. m.n .. " returned " ..
        type(resp) .. ", not a response (srv:send, srv:finish, ...)"
  end
  if ok then
    ok, resp = xpcall(self.wire, debug.traceback, self, sess, resp)
  end
  if not ok then
    sess.errors[#sess.errors + 1] = resp
    resp = { kind = "http", status = 500, body = "", close = true }
  end
  sess.exchange[#sess.exchange + 1] = { who = "server", resp = resp }
  return resp
end

-- srv:run_session { trace = DIR, server_id = true|ID, args = { ... },
--   verbose = true, timeout = s, command = "unenroll", wrap = { ... } }
-- -> a run. Runs `luadm [-v] session [--trace DIR] [SERVERID]` while the
-- queued handlers answer the client's messages, and checks every handler
-- was used. wrap is an argv prefix: the program run is wrap[1] with the
-- rest of wrap and then luadm's argv (after LUADM_WRAP's) as arguments,
-- e.g. { "sh", "bench/idle.sh" }; the run is that program's.
function Server:run_session(o)
  o = o or {}
  for i, w in ipairs(o.wrap or {}) do
    if type(w) ~= "string" then
      bug("run_session: wrap[%d] is a string, not %s", i, show(w))
    end
  end
  if not H.cfg.session then
    H.config { session = { timeout_ms = 10000, connect_timeout_ms = 5000 } }
  end
  local sess = setmetatable({ n = #self.sessions + 1, srv = self,
      requests = {}, exchange = {}, used = 0, msgid = 0, errors = {},
      wbxml = WB.mode(), expect_wbxml = self.default_wbxml == true,
      expect_why = "before the server's first message: the account's " ..
          "DEFAULTENCODING is " .. (self.default_wbxml and "WBXML" or
          "not WBXML") }, SRun)
  self.sessions[sess.n] = sess
  self.cur = sess
  self.client_authed = false
  self.server_authed = false
  local handlers = self.handlers
  self.handlers = {}
  local args = {}
  if o.verbose ~= false then
    args[#args + 1] = "-v"
  end
  args[#args + 1] = o.command or "session"	-- or "unenroll"
  if o.trace then
    args[#args + 1] = "--trace"
    args[#args + 1] = o.trace
  end
  for _, a in ipairs(o.args or {}) do
    args[#args + 1] = a
  end
  if o.server_id then
    args[#args + 1] = o.server_id == true and self.server_id or o.server_id
  end
  local handler = function(raw)
    return self:serve_one(sess, handlers, raw)
  end
  local timeout = o.timeout or self.timeout
  sess.res = H.run_luadm(args, function(argv)
    if o.wrap then
      local full = {}
      for _, w in ipairs(o.wrap) do
        full[#full + 1] = w
      end
      for _, a in ipairs(argv) do
        full[#full + 1] = a
      end
      argv = full
    end
    return self.native:serve(argv, timeout, opt.tmp, handler)
  end)
  self.cur = nil
  for _, e in ipairs(sess.res.errors or {}) do
    sess.errors[#sess.errors + 1] = e
  end
  if #sess.errors > 0 then
    H.set_focus(sess)
    error("in a handler of session " .. sess.n .. ": " .. sess.errors[1], 0)
  end
  check(sess.used == #handlers, "session " .. sess.n .. ": the client " ..
      "sent every message the scenario answers (" .. #handlers ..
      " on_message)", #handlers, sess.used, sess)
  H.set_focus(sess)
  return sess
end

---------------------------------------------------------------- API

local api = {}
api.server = new_server
api.auth = auth
api.pki = pki
api.summarize = summarize

-- say(...): prints a line into the scenario's output (the demo).
function api.say(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  H.out:write(table.concat(parts, " "), "\n")
  H.out:flush()
end

return api
