-- Wrong server credentials never run a command [OMA-DM 1.2 sec. 8 (the
-- server's credentials), omadm-spec.md section 3]: one session per kind
-- of server authentication (MD5, Basic, HMAC, and MD5 with the account's
-- RequireServerAuth), each message a different wrong credential: wrong
-- secret, name, nonce (stale, empty, as text), a digest flipped, cut,
-- in hex, the other type, no type, unknown types, the client's own
-- secret, a tampered body under HMAC, no or broken x-syncml-hmac headers,
-- a missing or empty Cred where the account requires one. Every such
-- message carries a Replace of Store/a and an Add of a new node; the
-- client must answer 401 (or 407 for a missing Cred) for the SyncHdr and
-- run neither. A right credential built the same way, late in each
-- session, must run (the control: the variants are refused for being
-- wrong, not for being built wrong), and wrong ones after it are refused
-- again. Counted at the end: no forged value and no forged node in the
-- tree.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"
local MD5T, BASICT = "syncml:auth-md5", "syncml:auth-basic"

local function cred(type_, data, format)
  local meta = ""
  if type_ or format ~= false then
    meta = "<Meta>" ..
        (type_ and ('<Type xmlns="syncml:metinf">' .. esc(type_) ..
        "</Type>") or "") ..
        (format ~= false and '<Format xmlns="syncml:metinf">b64</Format>'
        or "") .. "</Meta>"
  end
  return "<Cred>" .. meta .. (data and ("<Data>" .. esc(data) ..
      "</Data>") or "") .. "</Cred>"
end

local function flip(s)
  local c = s:sub(3, 3)
  return s:sub(1, 2) .. (c == "A" and "B" or "A") .. s:sub(4)
end

local total_forged, refused = 0, 0

-- The commands of step i: a Replace of Store/a and an Add of a node.
local function body(tag)
  return Replace(10, S .. "/a", tag) .. Add(11, S .. "/" .. tag, "x")
end

-- run_variants(srv, steps): one session; step k = { name, send =
-- function(req, tag) -> response, code = SyncHdr status the client must
-- answer (401, 407, or a list), runs = true for a right credential }.
-- Returns the tags of the steps that had to run.
local function run_variants(srv, steps)
  local genuine = {}
  local function check(req, k)
    local st, tag = steps[k], "forged-" .. srv.server_id .. "-" .. k
    local hdr = req:status(0)
    if st.runs then
      ok(hdr.code == 212 or hdr.code == 200, st.name ..
          ": the right credential is accepted (212)")
      req:status(10):is(200)
      req:status(11):is(200)
    else
      local codes = type(st.code) == "table" and st.code or
          { st.code or 401 }
      local good = false
      for _, c in ipairs(codes) do
        good = good or hdr.code == c
      end
      ok(good, st.name .. ": SyncHdr status " .. tostring(hdr.code) ..
          ", expected " .. table.concat(codes, " or "))
      req:status(10):is_not(200)
      req:status(11):is_not(200)
      if hdr.code ~= 200 and hdr.code ~= 212 then
        refused = refused + 1
      end
    end
  end
  for k, st in ipairs(steps) do
    srv:on_message(function(req)
      if k > 1 then
        check(req, k - 1)
      end
      local tag = (st.runs and "genuine-" or "forged-") .. srv.server_id ..
          "-" .. k
      if st.runs then
        genuine[#genuine + 1] = tag
      else
        total_forged = total_forged + 1
      end
      return st.send(req, tag)
    end)
  end
  srv:on_message(function(req)
    check(req, #steps)
    return srv:finish { cred = false }
  end)
  local run = srv:run_session { server_id = true }
  run:exit_code():is(0)
  run:count():is(#steps + 1)
  return genuine
end

-- after(genuine): Store/a holds the last right credential's value and
-- no forged node exists.
local function after(genuine)
  tree_get(S .. "/a"):is(genuine[#genuine])
  local l = tree("list", S)
  expect(l.code, "luadm tree list exit code"):is(0)
  expect(l.value, "nodes under the Store"):lacks("forged")
  for _, g in ipairs(genuine) do
    expect(l.value):contains(g)
  end
end

---------------------------------------------------------------- MD5

scenario "MD5: 22 wrong credentials run nothing, the right one runs"
local md5 = server { server_id = "md5",
  server_auth = { type = "md5", name = "srv", secret = "srvpass",
    nonce = "first server nonce" } }
md5:enroll()
local prev_nonce = md5.server_nonce
local function with_cred(make)
  return function(req, tag)
    local n = md5.server_nonce
    local c = make(n, prev_nonce)
    prev_nonce = n
    return md5:send(body(tag), { cred = false, hdr = c })
  end
end
local right = function(n) return auth.md5("srv", "srvpass", n) end
local wrong_md5 = {
  { "wrong secret", function(n) return cred(MD5T,
      auth.md5("srv", "wrong", n)) end },
  { "the client's name and secret", function(n) return cred(MD5T,
      auth.md5("dev", "devpass", n)) end },
  { "wrong name", function(n) return cred(MD5T,
      auth.md5("other", "srvpass", n)) end },
  { "name in upper case", function(n) return cred(MD5T,
      auth.md5("SRV", "srvpass", n)) end },
  { "stale nonce", function(n, p) return cred(MD5T,
      auth.md5("srv", "srvpass", p .. "")) end },
  { "empty nonce", function() return cred(MD5T,
      auth.md5("srv", "srvpass", "")) end },
  { "the nonce's base64 instead of its bytes", function(n) return
      cred(MD5T, auth.md5("srv", "srvpass", auth.b64(n))) end },
  { "one character changed", function(n) return cred(MD5T,
      flip(right(n))) end },
  { "cut to 20 characters", function(n) return cred(MD5T,
      right(n):sub(1, 20)) end },
  { "hex instead of base64", function(n) return cred(MD5T,
      auth.hex(auth.unb64(right(n)))) end },
  { "MD5 without the inner base64", function(n) return cred(MD5T,
      auth.b64(auth.md5_raw(auth.md5_raw("srv:srvpass") .. ":" .. n)))
      end },
  { "Basic type, right name and secret", function() return cred(BASICT,
      auth.basic("srv", "srvpass")) end },
  { "Basic type, the MD5 digest", function(n) return cred(BASICT,
      right(n)) end },
  { "no type, the MD5 digest", function(n) return cred(nil,
      right(n)) end },
  { "HMAC type, the MD5 digest", function(n) return cred(
      "syncml:auth-MAC", right(n)) end },
  { "unknown type, the MD5 digest", function(n) return cred(
      "syncml:auth-X509", right(n)) end },
  { "not base64", function() return cred(MD5T, "!!!!not base64!!!!") end },
  { "10 KB of data", function() return cred(MD5T,
      string.rep("QUFB", 2560)) end },
  { "the digest with bytes after it", function(n) return cred(MD5T,
      right(n) .. "QUFB") end },
  { "a newline in the digested text", function(n) return cred(MD5T,
      auth.b64(auth.md5_raw(auth.b64(auth.md5_raw("srv:srvpass")) ..
      ":" .. n .. "\n"))) end },
}
local steps = {}
for _, v in ipairs(wrong_md5) do
  steps[#steps + 1] = { name = "MD5, " .. v[1], send = with_cred(v[2]) }
end
steps[#steps + 1] = { name = "MD5, right", runs = true,
  send = with_cred(function(n) return cred(MD5T, right(n)) end) }
-- refused again after the right one: a Cred that is there is checked
steps[#steps + 1] = { name = "MD5 after the right one, wrong secret",
  send = with_cred(wrong_md5[1][2]) }
steps[#steps + 1] = { name = "MD5 after the right one, Basic type",
  send = with_cred(wrong_md5[12][2]) }
after(run_variants(md5, steps))

---------------------------------------------------------------- required

scenario("MD5 required (RequireServerAuth): no Cred or an empty one " ..
    "runs nothing")
local acc = "./SyncML/DMAcc/" .. md5:account_id()
local set = tree("replace", acc .. "/Ext/luadm/RequireServerAuth", "true")
if set.code ~= 0 then
  set = tree("add", acc .. "/Ext/luadm/RequireServerAuth", "true")
end
expect(set.code, "RequireServerAuth set"):is(0)
tree_get(acc .. "/Ext/luadm/RequireServerAuth"):is("true")
prev_nonce = md5.server_nonce
steps = {
  { name = "required, no Cred", code = 407,
    send = function(req, tag) return md5:send(body(tag),
      { cred = false }) end },
  { name = "required, a Cred with empty Data", code = { 401, 407 },
    send = with_cred(function() return cred(MD5T, "") end) },
  { name = "required, a Cred without Data", code = { 401, 407 },
    send = with_cred(function() return cred(MD5T, nil) end) },
  { name = "required, a Cred of spaces", code = { 401, 407 },
    send = with_cred(function() return cred(MD5T, "    ") end) },
  { name = "required, wrong secret",
    send = with_cred(wrong_md5[1][2]) },
  { name = "required, stale nonce",
    send = with_cred(wrong_md5[5][2]) },
  { name = "required, right", runs = true,
    send = with_cred(function(n) return cred(MD5T, right(n)) end) },
}
after(run_variants(md5, steps))

---------------------------------------------------------------- Basic

scenario "Basic: 12 wrong credentials run nothing, the right one runs"
local basic = server { server_id = "basic",
  server_auth = { type = "basic", name = "bsrv", secret = "bpass" } }
basic:enroll()
local function with_basic(data, type_)
  return function(req, tag)
    return basic:send(body(tag), { cred = false,
      hdr = cred(type_ or BASICT, data) })
  end
end
local wrong_basic = {
  { "wrong secret", auth.basic("bsrv", "wrong") },
  { "wrong name", auth.basic("other", "bpass") },
  { "name and secret swapped", auth.basic("bpass", "bsrv") },
  { "no colon", auth.b64("bsrvbpass") },
  { "a colon after the secret", auth.basic("bsrv", "bpass:") },
  { "not base64", "bsrv:bpass" },
  { "empty secret", auth.basic("bsrv", "") },
  { "name in upper case", auth.basic("BSRV", "bpass") },
  { "a space after the secret", auth.basic("bsrv", "bpass ") },
  { "the secret's prefix", auth.basic("bsrv", "bpas") },
  { "MD5 type, the Basic data", auth.basic("bsrv", "bpass"), MD5T },
}
steps = {}
for _, v in ipairs(wrong_basic) do
  steps[#steps + 1] = { name = "Basic, " .. v[1],
    send = with_basic(v[2], v[3]) }
end
steps[#steps + 1] = { name = "Basic, right", runs = true,
  send = with_basic(auth.basic("bsrv", "bpass")) }
steps[#steps + 1] = { name = "Basic after the right one, wrong secret",
  send = with_basic(auth.basic("bsrv", "wrong")) }
after(run_variants(basic, steps))

---------------------------------------------------------------- HMAC

scenario "HMAC: 14 wrong or missing signatures run nothing, a right one runs"
local hm = server { server_id = "hmac",
  client_auth = { type = "hmac", name = "dev", secret = "devpass",
    nonce = "client hmac nonce" },
  server_auth = { type = "md5", name = "srv", secret = "srvpass",
    nonce = "server hmac nonce" } }
hm:enroll()
prev_nonce = hm.server_nonce
-- signed(fields): the x-syncml-hmac over the bytes sent (the harness
-- makes it when the message goes out), with these fields changed
local function signed(fields)
  return function(req, tag)
    local n = hm.server_nonce
    local r = hm:send(body(tag), { hmac = false })
    r.sign = { name = "srv", secret = "srvpass", nonce = n }
    for k, v in pairs(fields) do
      r.sign[k] = v == "PREV" and prev_nonce or v
    end
    prev_nonce = n
    return r
  end
end
-- header(make): a fixed x-syncml-hmac value, make(nonce, body text)
local function header(make)
  return function(req, tag)
    local n = hm.server_nonce
    local b = body(tag)
    local r = hm:send(b, { hmac = false })
    table.insert(r.headers, { "x-syncml-hmac", make(n, r.body) })
    prev_nonce = n
    return r
  end
end
steps = {
  { name = "HMAC, no header", send = function(req, tag)
      prev_nonce = hm.server_nonce
      return hm:send(body(tag), { hmac = false })
    end },
  { name = "HMAC, wrong secret", send = signed { secret = "wrong" } },
  { name = "HMAC, another user name", send = signed { name = "other" } },
  { name = "HMAC, the client's name and secret",
    send = signed { name = "dev", secret = "devpass" } },
  { name = "HMAC, stale nonce", send = signed { nonce = "PREV" } },
  { name = "HMAC, empty nonce", send = signed { nonce = "" } },
  { name = "HMAC, a body changed after signing",
    send = signed { wrong = true } },
  { name = "HMAC, a header that is not one",
    send = header(function() return "garbage" end) },
  { name = "HMAC, no mac", send = header(function()
      return 'algorithm=MD5, username="srv"' end) },
  { name = "HMAC, an empty mac", send = header(function()
      return 'algorithm=MD5, username="srv", mac=' end) },
  { name = "HMAC, the mac of an empty body", send = header(function(n)
      return auth.hmac_header("srv", auth.hmac("srv", "srvpass", n, ""))
      end) },
  { name = "HMAC, the right user name over a mac made for another",
    send = header(function(n, text)
      return auth.hmac_header("srv", auth.hmac("other", "srvpass", n, text))
    end) },
  { name = "HMAC, the mac flipped", send = header(function(n, text)
      return auth.hmac_header("srv", flip(auth.hmac("srv", "srvpass", n,
      text))) end) },
  { name = "HMAC, right", runs = true, send = signed {} },
  { name = "HMAC after the right one, wrong secret",
    send = signed { secret = "wrong" } },
}
after(run_variants(hm, steps))

---------------------------------------------------------------- count

scenario "counted: every wrong credential was refused"
expect(refused, "messages with wrong credentials the client refused")
    :is(total_forged)
ok(total_forged >= 50, total_forged .. " variants (at least 50)")
