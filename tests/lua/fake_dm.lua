-- fake_dm: a stand-in for the `dm` table the core gives every CSP state
-- (see docs/csp-guide.md, "The dm API"), so that the SDK and CSP scripts can
-- be tested with plain lua5.4 and no core.
--
--   local fake = require "fake_dm"
--   dm = fake.new {
--     files = { ["/etc/machine-id"] = "0123...\n" },  -- the fake sysroot
--     device = { Lang = "de-DE" },                    -- dm.config.device
--     uname = { machine = "x86_64" },
--   }
--
-- Files live in a table (path -> contents) instead of a directory; state
-- files in dm._states (name -> table). dm._log collects dm.log calls.

local fake = {}

-- SHA-256 (FIPS 180-4), enough for dm.sha256 in tests.
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
  0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function rotr(x, n)
  return ((x >> n) | (x << (32 - n))) & 0xffffffff
end

function fake.sha256(msg)
  local h = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
    0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
  local len = #msg
  msg = msg .. "\128" .. string.rep("\0", (55 - len) % 64)
      .. string.pack(">I8", len * 8)
  for chunk = 1, #msg, 64 do
    local w = {}
    for i = 0, 15 do
      w[i] = string.unpack(">I4", msg, chunk + i * 4)
    end
    for i = 16, 63 do
      local s0 = rotr(w[i - 15], 7) ~ rotr(w[i - 15], 18) ~ (w[i - 15] >> 3)
      local s1 = rotr(w[i - 2], 17) ~ rotr(w[i - 2], 19) ~ (w[i - 2] >> 10)
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & 0xffffffff
    end
    local a, b, c, d, e, f, g, hh = table.unpack(h)
    for i = 0, 63 do
      local S1 = rotr(e, 6) ~ rotr(e, 11) ~ rotr(e, 25)
      local ch = (e & f) ~ (~e & g)
      local t1 = (hh + S1 + ch + K[i + 1] + w[i]) & 0xffffffff
      local S0 = rotr(a, 2) ~ rotr(a, 13) ~ rotr(a, 22)
      local maj = (a & b) ~ (a & c) ~ (b & c)
      local t2 = (S0 + maj) & 0xffffffff
      hh, g, f, e, d, c, b, a = g, f, e, (d + t1) & 0xffffffff, c, b, a,
          (t1 + t2) & 0xffffffff
    end
    for i, v in ipairs { a, b, c, d, e, f, g, hh } do
      h[i] = (h[i] + v) & 0xffffffff
    end
  end
  return string.format(string.rep("%08x", 8), table.unpack(h))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function fake.b64encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    for j = 3, 0, -1 do
      local k = (n >> (6 * j)) & 63
      out[#out + 1] = B64:sub(k + 1, k + 1)
    end
    if not b then
      out[#out - 1], out[#out] = "=", "="
    elseif not c then
      out[#out] = "="
    end
  end
  return table.concat(out)
end

function fake.b64decode(s)
  if #s % 4 ~= 0 or not s:match("^[A-Za-z0-9+/]*=?=?$") then
    return nil
  end
  local out = {}
  for i = 1, #s, 4 do
    local n, pad = 0, 0
    for j = i, i + 3 do
      local ch = s:sub(j, j)
      n = n << 6
      if ch == "=" then
        pad = pad + 1
      else
        n = n | (B64:find(ch, 1, true) - 1)
      end
    end
    out[#out + 1] = string.pack(">I3", n):sub(1, 3 - pad)
  end
  return table.concat(out)
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do
    c[k] = v
  end
  return c
end

-- A new fake dm. opts: files, device, csp (dm.config.csp), uname, limits.
function fake.new(opts)
  opts = opts or {}
  local files = opts.files or {}
  local dm = {
    version = "0.1.0",
    limits = opts.limits or { max_depth = 64, max_tot_len = 4096,
      max_seg_len = 255 },
    config = { device = opts.device or {}, csp = opts.csp or {} },
    sha256 = fake.sha256, b64encode = fake.b64encode,
    b64decode = fake.b64decode,
    _files = files, _states = {}, _log = {}, _saves = 0,
  }

  function dm.log(level, message)
    dm._log[#dm._log + 1] = level .. ": " .. message
  end

  function dm.read_file(path, cap)
    local data = files[path]
    if data == nil then
      return nil, path .. ": No such file or directory"
    end
    return data:sub(1, cap or 1048576)
  end

  function dm.write_file_atomic(path, data)
    files[path] = data
    return true
  end

  function dm.exists(path)
    return files[path] ~= nil
  end

  function dm.path(path)
    return "/fake-sysroot" .. path
  end

  function dm.uname()
    local u = { sysname = "Linux", nodename = "fakehost", release = "6.1.0",
      version = "#1 SMP", machine = "x86_64" }
    for k, v in pairs(opts.uname or {}) do
      u[k] = v
    end
    return u
  end

  function dm.state_load(name)
    return copy(dm._states[name] or {})
  end

  function dm.state_save(name, tbl)
    dm._saves = dm._saves + 1
    dm._states[name] = copy(tbl)
    return true
  end

  function dm.escape(s)
    return (s:gsub("[^%w%-._~]", function(c)
      return string.format("%%%02X", c:byte())
    end))
  end

  function dm.unescape(s)
    return (s:gsub("%%(%x%x)", function(h)
      return string.char(tonumber(h, 16))
    end))
  end

  function dm.run()
    return nil, "dm.run is not available in tests"
  end

  -- luadm.Blob stand-in: a value held "in a file" (here: a string)
  local Blob = {}
  Blob.__index = Blob
  function Blob:path() return self._path end
  function Blob:size() return #self._data end
  function Blob:read() return self._data end
  Blob.__len = Blob.size
  Blob.__tostring = Blob.read
  function dm.is_blob(v)
    return getmetatable(v) == Blob
  end
  function dm._blob(data, path)
    return setmetatable({ _data = data, _path = path or "/spool/v" }, Blob)
  end

  return dm
end

return fake
