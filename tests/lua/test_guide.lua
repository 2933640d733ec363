-- Runs the example CSPs of docs/csp-guide.md (the ```lua block after each
-- "example: <name>" marker), so the tutorial stays true.

local function example(name)
  local f = assert(io.open(ROOT .. "/docs/csp-guide.md"))
  local doc = f:read("a")
  f:close()
  local code = doc:match("<!%-%- example: " .. (name or "motd")
      .. ".-```lua\n(.-)```")
  ok(code, "example block not found in docs/csp-guide.md")
  local env = setmetatable({}, { __index = _G })
  return assert(load(code, "=csp-guide.md", "t", env))()
end

local CTX = { scope = "device", mount = "./Vendor/Example/Motd" }

test("the guide's Motd CSP reads, validates and writes /etc/motd",
    function()
  local d = use_dm { files = { ["/etc/motd"] = "Welcome\nto the box\n" } }
  local c = example()
  eq(c.mount, "./Vendor/Example/Motd")
  eq((c.get(CTX, "Text")), "Welcome\nto the box\n")
  local v, f = c.get(CTX, "Lines")
  eq(v, "2")
  eq(f, "int")
  eq(table.concat(c.get(CTX, ""), "/"), "Lines/Text")
  eq(status_of(c.replace, CTX, "Text", "Hello\n"), 200)
  eq(d._files["/etc/motd"], "Hello\n")
  local st, msg = status_of(c.replace, CTX, "Text", string.rep("x", 4097))
  eq(st, 400)
  eq(msg, "./Vendor/Example/Motd/Text: at most 4096 bytes")
  eq(status_of(c.replace, CTX, "Text", "bell\7"), 400)
  eq(status_of(c.replace, CTX, "Text", "aGk=", "b64"), 415)
  eq(status_of(c.replace, CTX, "Lines", "3"), 405)
  eq(status_of(c.get, CTX, "Other"), 404)
  eq(d._files["/etc/motd"], "Hello\n", "nothing half-applied")
end)

test("the guide's Motd CSP reports a failed write", function()
  local d = use_dm { files = {} }
  d.write_file_atomic = function() return nil, "/etc/motd: Read-only" end
  local c = example()
  eq((c.get(CTX, "Text")), "")
  local st, msg = status_of(c.replace, CTX, "Text", "x")
  eq(st, 500)
  eq(msg, "/etc/motd: Read-only")
end)

test("the guide's Accounts CSP: add, set, delete", function()
  local d = use_dm()
  local c = example("accounts")
  local ctx = { scope = "device", mount = "./Vendor/Example/Accounts" }
  eq(status_of(c.add, ctx, "a1", nil, "node"), 200)
  eq(status_of(c.add, ctx, "a1/Name", "corp"), 200)
  eq(status_of(c.replace, ctx, "a1/Port", "8443", "int"), 200)
  eq(status_of(c.replace, ctx, "a1/Port", "0", "int"), 400)
  eq((c.get(ctx, "a1/Port")), "8443")
  c.flush(ctx)
  eq(d._states.__Vendor_Example_Accounts["a1/Name"], "chr\ntext/plain\ncorp")
  eq(status_of(c.delete, ctx, "a1"), 200)
  eq(#c.get(ctx, ""), 0)
end)
