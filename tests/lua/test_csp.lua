-- Unit tests of dm.csp (csp.define) against a fake dm.

local csp = require "dm.csp"

local DEV = { scope = "device", mount = "./Vendor/Test" }

-- The message of the error csp.define raises for spec.
local function define_error(spec)
  local good, err = pcall(csp.define, spec)
  ok(not good, "csp.define accepted a bad spec")
  return tostring(err)
end

test("sdk_version is 1", function()
  eq(csp.sdk_version, 1)
end)

test("define refuses bad declarations, naming the node", function()
  ok(define_error { X = {} }:find("mount"), "no mount")
  ok(define_error { mount = "Vendor/X" }:find("bad mount"), "relative mount")
  local m = "./Vendor/Test"
  local e = define_error { mount = m, A = { access = "Get Fly", default = "" } }
  ok(e:find("./Vendor/Test/A", 1, true) and e:find("Fly"), e)
  e = define_error { mount = m, A = { access = "Get Replace", get = print } }
  ok(e:find("Replace needs"), e)
  e = define_error { mount = m, A = { get = print, replace = print } }
  ok(e:find("replace handler but no Replace access"), e)
  e = define_error { mount = m, A = { format = "number", default = "1" } }
  ok(e:find("unknown format"), e)
  e = define_error { mount = m, A = { format = "int", default = "one" } }
  ok(e:find("default"), e)
  e = define_error { mount = m, A = { children = print } }
  ok(e:find('"*"'), e)
  e = define_error { mount = m, A = { default = "", validate = "[a-" } }
  ok(e:find("pattern"), e)
  e = define_error { mount = m, A = { store = true, access = "Get Replace" } }
  ok(e:find("Add access"), e)
  e = define_error { mount = m, A = { access = "Get Exec", default = "" } }
  ok(e:find("Exec needs"), e)
  e = define_error { mount = m, B = { mount = "./x", default = "" } }
  ok(e:find("top of the spec"), e)
  e = define_error { mount = m, begin = print, A = { default = "" } }
  ok(e:find("begin, commit and rollback"), e)
end)

test("a leaf get handler sees ctx and n", function()
  local seen
  local t = csp.define {
    mount = "./Vendor/Test",
    Info = { Name = { get = function(ctx, n)
      seen = n
      return "v:" .. ctx.scope
    end } },
  }
  local v, f, ty = t.get(DEV, "Info/Name")
  eq(v, "v:device")
  eq(f, "chr")
  eq(ty, "text/plain")
  eq(seen.path, "Info/Name")
  eq(seen.name, "Name")
  eq(seen.mount, "./Vendor/Test")
  eq(#seen.args, 0)
end)

test("values of other Lua types are converted by format", function()
  local t = csp.define {
    mount = "./Vendor/Test",
    N = { format = "int", get = function() return 42 end },
    B = { format = "bool", get = function() return false end },
    D = { format = "int", default = 7 },
    T = { get = function() return {} end },
  }
  eq((t.get(DEV, "N")), "42")
  eq(select(2, t.get(DEV, "N")), "int")
  eq((t.get(DEV, "B")), "false")
  eq((t.get(DEV, "D")), "7")
  eq(status_of(t.get, DEV, "T"), 500)
end)

test("unknown nodes are 404 for every verb; stat says nil", function()
  local t = csp.define { mount = "./Vendor/Test", A = { default = "x" } }
  eq(status_of(t.get, DEV, "B"), 404)
  eq(status_of(t.get, DEV, "A/B"), 404)
  eq(status_of(t.replace, DEV, "B", "1"), 404)
  eq(status_of(t.delete, DEV, "B"), 404)
  eq(status_of(t.exec, DEV, "B", "", nil), 404)
  eq(status_of(t.add, DEV, "B/C", "1"), 404)
  eq(t.stat(DEV, "B"), nil)
  eq(t.stat(DEV, "A").format, "chr")
end)

test("a missing access type is 405 and the handler is not called", function()
  local called = false
  local t = csp.define {
    mount = "./Vendor/Test",
    A = { get = function() return "a" end },
    X = { access = "Exec", exec = function() called = true end },
  }
  eq(status_of(t.replace, DEV, "A", "b"), 405)
  eq(status_of(t.delete, DEV, "A"), 405)
  eq(status_of(t.exec, DEV, "A", ""), 405)
  eq(status_of(t.add, DEV, "A", "b"), 418)
  eq(status_of(t.get, DEV, "X"), 405)
  eq(status_of(t.replace, DEV, "", "b"), 405)
  eq(called, false)
  eq(status_of(t.exec, DEV, "X", "data", "corr"), 200)
  eq(called, true)
end)

test("exec gets data and correlator and returns its status", function()
  local got
  local t = csp.define {
    mount = "./Vendor/Test",
    Run = { access = "Exec", exec = function(ctx, n, data, corr)
      got = { n.path, data, corr }
      return 202
    end },
  }
  eq(status_of(t.exec, DEV, "Run", "payload", "c-1"), 202)
  eq(got[1], "Run")
  eq(got[2], "payload")
  eq(got[3], "c-1")
end)

-- A CSP with one replaceable leaf per check, recording what reached the
-- handlers.
local function validating()
  local applied = {}
  local function keep(ctx, n, v, f)
    applied[#applied + 1] = n.name .. "=" .. v .. ":" .. f
  end
  local function leaf(extra)
    extra.access, extra.replace = "Get Replace", keep
    extra.get = function() return "" end
    return extra
  end
  local t = csp.define {
    mount = "./Vendor/Test",
    Port = leaf { format = "int", min = 1, max = 65535 },
    Flag = leaf { format = "bool" },
    Ratio = leaf { format = "float" },
    Blob = leaf { format = "b64" },
    Raw = leaf { format = "bin" },
    Mode = leaf { values = { "auto", "manual" } },
    Host = leaf { validate = "[%w][%w%-]*" },
    Even = leaf { format = "int", validate = function(v, ctx, n)
      if tonumber(v) % 2 == 0 then
        return true
      end
      return false, n.name .. " must be even"
    end },
    Text = leaf {},
  }
  return t, applied
end

test("incoming values are validated by format: 400", function()
  local t, applied = validating()
  local bad = {
    { "Port", "12x" }, { "Port", "" }, { "Port", "1.5" }, { "Port", "0" },
    { "Port", "65536" }, { "Flag", "yes" }, { "Flag", "True" },
    { "Ratio", "1.2.3" }, { "Ratio", "abc" }, { "Ratio", "0x10" },
    { "Blob", "abc" }, { "Blob", "ab$=" }, { "Mode", "Auto" },
    { "Host", "-bad" }, { "Host", "a b" }, { "Even", "3" },
  }
  for _, c in ipairs(bad) do
    local st, msg = status_of(t.replace, DEV, c[1], c[2])
    eq(st, 400, c[1] .. "=" .. c[2])
    ok(msg:find("./Vendor/Test/" .. c[1], 1, true), "message names node: "
        .. msg)
  end
  local _, msg = status_of(t.replace, DEV, "Even", "3")
  ok(msg:find("Even must be even"), msg)
  eq(#applied, 0, "nothing applied")
  local good = {
    { "Port", "1" }, { "Port", "65535" }, { "Flag", "true" },
    { "Ratio", "-1.5e3" }, { "Ratio", ".5" }, { "Blob", "aGk=" },
    { "Mode", "manual" }, { "Host", "web-1" }, { "Even", "4" },
    { "Text", "anything at all" },
  }
  for _, c in ipairs(good) do
    eq(status_of(t.replace, DEV, c[1], c[2]), 200, c[1] .. "=" .. c[2])
  end
  eq(#applied, #good)
  eq(applied[1], "Port=1:int")
end)

test("a value sent with the wrong format is 415", function()
  local t, applied = validating()
  eq(status_of(t.replace, DEV, "Raw", "hello", "chr"), 415)
  eq(status_of(t.replace, DEV, "Port", "aGVsbG8=", "b64"), 415)
  eq(#applied, 0)
  eq(status_of(t.replace, DEV, "Port", "5", "int"), 200)
  eq(status_of(t.replace, DEV, "Text", "5", "chr"), 200)
end)

test("text formats are interchangeable when the value fits", function()
  local t, applied = validating()
  -- servers send chr for int nodes and int for chr nodes
  eq(status_of(t.replace, DEV, "Port", "5", "chr"), 200)
  eq(status_of(t.replace, DEV, "Text", "5", "int"), 200)
  eq(#applied, 2)
  -- but the value must still be one the node's own format accepts
  eq(status_of(t.replace, DEV, "Port", "five", "chr"), 400)
  eq(status_of(t.replace, DEV, "Flag", "7", "int"), 400)
  eq(#applied, 2)
end)

test("b64 sent to a bin node reaches the handler decoded", function()
  local t, applied = validating()
  eq(status_of(t.replace, DEV, "Raw", "aGVsbG8=", "b64"), 200)
  eq(applied[1], "Raw=hello:bin")
  eq(status_of(t.replace, DEV, "Raw", "!!!!", "b64"), 400)
end)

test("handler results pass through: nil, status, message and errors",
    function()
  local t = csp.define {
    mount = "./Vendor/Test",
    A = { access = "Get Replace", get = function() return nil, 403, "no" end,
      replace = function() return nil, 409, "busy" end },
    B = { access = "Get Replace", get = function()
      error { status = 410, message = "gone" }
    end, replace = function() return 202 end },
    C = { get = function() return nil end },
    D = { get = function() return nil end, default = "dflt" },
  }
  local st, msg = status_of(t.get, DEV, "A")
  eq(st, 403)
  eq(msg, "no")
  st, msg = status_of(t.replace, DEV, "A", "x")
  eq(st, 409)
  eq(msg, "busy")
  eq(status_of(t.get, DEV, "B"), 410)
  eq(status_of(t.replace, DEV, "B", "x"), 202)
  eq(status_of(t.get, DEV, "C"), 404)
  eq((t.get(DEV, "D")), "dflt")
end)

test("interior nodes list declared children, sorted", function()
  local t = csp.define {
    mount = "./Vendor/Test",
    B = { default = "" }, A = { default = "" },
    Sub = { Z = { default = "" } },
    nodes = { get = { default = "reserved name" } },
  }
  local names = t.get(DEV, "")
  eq(table.concat(names, "/"), "A/B/Sub/get")
  eq(table.concat(t.get(DEV, "Sub"), "/"), "Z")
  eq(t.stat(DEV, "Sub").format, "node")
  eq((t.get(DEV, "get")), "reserved name")
end)

test("dynamic children: names from children(), args from '*'", function()
  local users = { alice = { "1000", "x" }, bob = { "1001", "y" } }
  local listed = 0
  local t = csp.define {
    mount = "./Vendor/Test",
    Users = {
      children = function(ctx, n)
        eq(n.path, "Users")
        listed = listed + 1
        return { "alice", "bob" }
      end,
      ["*"] = {
        Uid = { format = "int", get = function(ctx, n)
          return users[n.args[1]][1]
        end },
        Keys = {
          children = function(ctx, n) return { "k1", "k2" } end,
          ["*"] = { get = function(ctx, n)
            return n.args[1] .. ":" .. n.args[2]
          end },
        },
      },
    },
  }
  eq(table.concat(t.get(DEV, "Users"), "/"), "alice/bob")
  eq((t.get(DEV, "Users/bob/Uid")), "1001")
  eq((t.get(DEV, "Users/alice/Keys/k2")), "alice:k2")
  eq(table.concat(t.get(DEV, "Users/alice"), "/"), "Keys/Uid")
  eq(status_of(t.get, DEV, "Users/carol/Uid"), 404)
  eq(status_of(t.get, DEV, "Users/alice/Keys/k3"), 404)
  eq(t.stat(DEV, "Users/carol"), nil)
  ok(listed >= 3)
end)

test("scope hides nodes of the other scope", function()
  local t = csp.define {
    mount = "./Vendor/Test",
    Dev = { scope = "device", default = "d" },
    Usr = { scope = "user", default = "u" },
    Both = { default = "b" },
  }
  local user = { scope = "user", mount = "./Vendor/Test" }
  eq(table.concat(t.get(DEV, ""), "/"), "Both/Dev")
  eq(table.concat(t.get(user, ""), "/"), "Both/Usr")
  eq(status_of(t.get, user, "Dev"), 404)
  eq((t.get(user, "Usr")), "u")
end)

test("n.mount is the mount the node was reached through", function()
  local t = csp.define {
    mount = { "./DMAcc", "./SyncML/DMAcc" },
    Where = { get = function(ctx, n) return n.mount end },
  }
  eq((t.get({ mount = "./SyncML/DMAcc" }, "Where")), "./SyncML/DMAcc")
  eq((t.get({}, "Where")), "./DMAcc")
  eq(t.mount[2], "./SyncML/DMAcc")
end)

test("without a store or own hooks there is no Atomic support", function()
  local t = csp.define { mount = "./Vendor/Test", A = { default = "" } }
  eq(t.begin, nil)
  eq(t.commit, nil)
  eq(t.rollback, nil)
  eq(t.flush, nil)
  local calls = {}
  local function hook(name)
    return function() calls[#calls + 1] = name end
  end
  t = csp.define { mount = "./Vendor/Test", A = { default = "" },
    begin = hook "b", commit = hook "c", rollback = hook "r",
    flush = hook "f" }
  t.begin({})
  t.rollback({})
  t.commit({})
  t.flush({})
  eq(table.concat(calls, ","), "b,r,c,f")
end)

test("a value held in a file (a Blob) reaches handlers as it is", function()
  local got = {}
  local t = csp.define {
    mount = "./Vendor/Test/Blob",
    Data = { access = "Replace", format = "bin",
      replace = function(ctx, n, v) got.data = v end },
    Port = { access = "Replace", format = "int",
      replace = function(ctx, n, v) got.port = v end },
    Kept = { access = "Get Replace", format = "chr", store = true,
      default = "" },
  }
  local big = dm._blob("\0\1binary", "/spool/x")
  eq(status_of(t.replace, DEV, "Data", big, "bin"), 200)
  assert(dm.is_blob(got.data), "the handler got the Blob")
  eq(got.data:path(), "/spool/x")
  -- a node whose value must be checked reads the Blob first
  eq(status_of(t.replace, DEV, "Port", dm._blob("42"), "int"), 200)
  eq(got.port, "42")
  eq(status_of(t.replace, DEV, "Port", dm._blob("4x2"), "int"), 400)
  -- the node store keeps strings
  eq(status_of(t.replace, DEV, "Kept", dm._blob("stored text")), 200)
  eq((t.get(DEV, "Kept")), "stored text")
end)
