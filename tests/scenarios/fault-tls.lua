-- TLS failures [MS-MDM 3][OMA-PRO 2.1]: the server's certificate expired,
-- made for another host name, self-signed (not from the account's CA);
-- a plain-HTTP server behind an https address. The account trusts the
-- test CA only. Each ends with exit 1 and a message naming the cause,
-- before any SyncML goes out (the handler is never reached), the Store
-- intact and the alert queued before the session still queued once.
-- session-transport.lua covers the wrong CA and the client certificate.
use_csp "tests/data/csp/Store.lua"
local S = "./Vendor/Test/Store"

local p = pki()
local dir = tmpdir .. "/badcerts"

-- openssl args...: runs the openssl command in dir (no shell).
local function openssl(...)
  local argv = { "openssl", ... }
  local q = {}
  for i, a in ipairs(argv) do
    q[i] = "'" .. a:gsub("'", "'\\''") .. "'"
  end
  local cmd = "cd '" .. dir .. "' && " .. table.concat(q, " ") ..
      " >openssl.log 2>&1"
  if not os.execute(cmd) then
    local f = io.open(dir .. "/openssl.log")
    error("openssl " .. table.concat({ ... }, " ") .. " failed: " ..
        (f and f:read("a") or "?"), 0)
  end
end

assert(os.execute("mkdir -p '" .. dir .. "'"))

-- cert(name, san, days, ca): a P-256 key and a server certificate for
-- san (subjectAltName) valid for days (-1: expired yesterday), signed by
-- ca ({ cert, key }) or self-signed when ca is nil.
local function cert(name, san, days, ca)
  local f = assert(io.open(dir .. "/" .. name .. ".ext", "w"))
  f:write("basicConstraints = CA:FALSE\n",
      "keyUsage = critical,digitalSignature\n",
      "extendedKeyUsage = serverAuth\n",
      "subjectAltName = ", san, "\n")
  f:close()
  openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
      "ec_paramgen_curve:P-256", "-nodes", "-keyout", name .. ".key",
      "-out", name .. ".csr", "-subj", "/CN=" .. name)
  local args = { "x509", "-req", "-in", name .. ".csr", "-days",
    tostring(days), "-extfile", name .. ".ext", "-out", name .. ".pem" }
  if ca then
    for _, a in ipairs { "-CA", ca.cert, "-CAkey", ca.key,
        "-set_serial", tostring(os.time()) } do
      args[#args + 1] = a
    end
  else
    args[#args + 1] = "-signkey"
    args[#args + 1] = name .. ".key"
  end
  openssl(table.unpack(args))
  return { cert = dir .. "/" .. name .. ".pem", key = dir .. "/" ..
      name .. ".key" }
end

-- tls_server(o, c): a scripted server presenting certificate c. The
-- harness gives every TLS server pki().server; it is swapped for the
-- listen only.
local function tls_server(o, c)
  local keep = p.server
  p.server = { cert = c.cert, key = c.key }
  local ok_, srv = pcall(server, o)
  p.server = keep
  if not ok_ then
    error(srv, 0)
  end
  return srv
end

local LOCAL = "IP:127.0.0.1,DNS:localhost"

-- tls_case(name, srv, errs [, enroll [, session]]): enrol (srv:enroll
-- options), queue an alert, run (with these session config keys); checks
-- the failure and that nothing changed.
local SESSION = { timeout_ms = 10000, connect_timeout_ms = 10000 }
local function tls_case(name, srv, errs, enroll, session)
  scenario(name)
  srv:enroll(enroll)
  local q = luadm("alert", "--type", "com.example/Tls", "--data", name,
      srv.server_id)
  expect(q.code, "luadm alert exit code"):is(0)
  local served = 0
  srv:otherwise(function(req)
    served = served + 1
    return srv:send(Replace(5, S .. "/a", "over bad TLS"))
  end)
  config { session = session or SESSION }
  local run = srv:run_session { server_id = true }
  srv:otherwise(nil)
  run:exit_code():is(1)
  say("  luadm: " .. tostring(run.res.stderr:match("session failed: " ..
      "[^\n]*")))
  for _, e in ipairs(errs) do
    run:stderr():contains(e)
  end
  expect(served, "messages that reached the server"):is(0)
  run:connections():at_least(1)
  tree_get(S .. "/a"):is("old")
  local l = luadm("alert", "--list", srv.server_id)
  expect(l.code):is(0)
  local n = 0
  for d in l.stdout:gmatch("  Data:       ([^\n]*)") do
    expect(d, "the queued alert"):is(name)
    n = n + 1
  end
  expect(n, "alerts still queued"):is(1)
  return run
end

local run = tls_case("the server's certificate expired",
    tls_server({ server_id = "expired" }, cert("expired", LOCAL, -1, p.ca)),
    { "TLS verification failed", "certificate has expired" })
run:events():contains("TLS handshake failed")

tls_case("the server's certificate is for another host name",
    tls_server({ server_id = "wronghost" },
      cert("wronghost", "DNS:dm.example.com,IP:192.0.2.7", 7, p.ca)),
    { "TLS verification failed", "does not match the host name" })

tls_case("the server's certificate is self-signed",
    tls_server({ server_id = "selfsigned" },
      cert("selfsigned", LOCAL, 7, nil)),
    { "TLS verification failed", "self-signed certificate" })

-- The harness's plain server waits for an HTTP request and never answers
-- a ClientHello: the handshake stalls until the connect timeout.
local plain = server { server_id = "plain", tls = false }
run = tls_case("a server that never answers the TLS handshake", plain,
    { "timed out after 1500 ms while connecting" },
    { ca = "ca", addr = "https://127.0.0.1:" .. plain.port .. "/dm" },
    { timeout_ms = 10000, connect_timeout_ms = 1500 })
run:elapsed():at_most(15)    -- two tries of 1.5 s, a loaded machine

-- The control: the same steps with the certificate the harness made for
-- 127.0.0.1 (signed by the CA) run the session, so the failures above
-- come from the certificates and nothing else.
scenario "the control: a valid certificate from the account's CA"
local good = server { server_id = "good" }
good:enroll()
expect(luadm("alert", "--type", "com.example/Tls", "--data", "control",
    "good").code):is(0)
good:on_message(function(req)
  expect(req:alert_data(1226).items[1].data):is("control")
  return good:send(Replace(5, S .. "/a", "over good TLS"))
end)
good:on_message(function(req)
  req:status(5):is(200)
  return good:finish()
end)
run = good:run_session { server_id = true }
run:exit_code():is(0)
tree_get(S .. "/a"):is("over good TLS")
local l = luadm("alert", "--list", "good")
expect(l.code):is(0)
expect(l.stdout, "the control's queue after delivery"):is("")
