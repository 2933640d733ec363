-- Unit tests of stored nodes (store = true), dm.store and Atomic support.

local csp = require "dm.csp"

local CTX = { scope = "device", mount = "./Vendor/Store" }
local STATE = "__Vendor_Store"

-- A CSP like a small DMAcc: static settings, accounts added by the server
-- below "*", and a free-form Ext below which anything may be added.
local function accounts()
  return csp.define {
    mount = "./Vendor/Store",
    Settings = {
      store = true,
      Color = { access = "Get Replace", values = { "red", "blue" },
        default = "red" },
      Size = { access = "Get Add Replace Delete", format = "int", max = 10 },
    },
    Accounts = {
      ["*"] = {
        store = true, access = "Get Add Delete",
        Name = { access = "Get Add Replace" },
        Port = { access = "Get Add Replace", format = "int", default = 443 },
      },
    },
    Ext = { format = "node", store = true, access = "Get Add Replace Delete" },
    Fixed = { format = "node", store = true },
  }
end

test("a stored leaf reads its default, then what was replaced", function()
  local t = accounts()
  eq((t.get(CTX, "Settings/Color")), "red")
  eq(status_of(t.replace, CTX, "Settings/Color", "blue"), 200)
  eq((t.get(CTX, "Settings/Color")), "blue")
  eq(status_of(t.replace, CTX, "Settings/Color", "green"), 400)
  eq((t.get(CTX, "Settings/Color")), "blue")
end)

test("a stored leaf without default exists once it has a value", function()
  local t = accounts()
  eq(status_of(t.get, CTX, "Settings/Size"), 404)
  eq(t.stat(CTX, "Settings/Size"), nil)
  eq(table.concat(t.get(CTX, "Settings"), "/"), "Color")
  eq(status_of(t.replace, CTX, "Settings/Size", "7"), 404)
  eq(status_of(t.add, CTX, "Settings/Size", "11"), 400)
  eq(status_of(t.add, CTX, "Settings/Size", "7"), 200)
  eq(status_of(t.replace, CTX, "Settings/Size", "8"), 200)
  eq(status_of(t.replace, CTX, "Settings/Size", "7"), 200)
  eq((t.get(CTX, "Settings/Size")), "7")
  eq(select(2, t.get(CTX, "Settings/Size")), "int")
  eq(t.stat(CTX, "Settings/Size").size, 1)
  eq(table.concat(t.get(CTX, "Settings"), "/"), "Color/Size")
  eq(status_of(t.delete, CTX, "Settings/Size"), 200)
  eq(status_of(t.get, CTX, "Settings/Size"), 404)
end)

test("values persist through flush, saved once, and load again", function()
  local t = accounts()
  t.replace(CTX, "Settings/Color", "blue")
  t.add(CTX, "Settings/Size", "3")
  eq(dm._saves, 0, "nothing saved before flush")
  t.flush({})
  eq(dm._saves, 1)
  t.flush({})
  eq(dm._saves, 1, "a clean store is not saved again")
  local saved = dm._states[STATE]
  ok(saved, "state saved under " .. STATE)
  eq(saved["Settings/Size"], "int\ntext/plain\n3")
  local again = accounts()
  eq((again.get(CTX, "Settings/Color")), "blue")
  eq((again.get(CTX, "Settings/Size")), "3")
end)

test("server-added instances below '*' with their leaves", function()
  local t = accounts()
  eq(table.concat(t.get(CTX, "Accounts"), "/"), "")
  eq(status_of(t.get, CTX, "Accounts/a1"), 404)
  eq(status_of(t.add, CTX, "Accounts/a1", nil, "node"), 200)
  eq(status_of(t.add, CTX, "Accounts/a1", nil, "node"), 418)
  eq(status_of(t.add, CTX, "Accounts/a2", "x", "chr"), 415)
  eq(status_of(t.add, CTX, "Accounts/a1/Name", "corp"), 200)
  eq(status_of(t.add, CTX, "Accounts/a1/Name", "corp"), 418)
  eq(status_of(t.add, CTX, "Accounts/a1/Port", "8443", "int"), 418,
      "a leaf with a default exists")
  eq(status_of(t.replace, CTX, "Accounts/a1/Port", "x", "int"), 400)
  eq(status_of(t.replace, CTX, "Accounts/a1/Name", "x"), 200)
  eq(status_of(t.replace, CTX, "Accounts/a1/Name", "corp"), 200)
  eq(status_of(t.add, CTX, "Accounts/a1/Other", "x"), 405)
  eq(status_of(t.add, CTX, "Accounts/nope/Name", "x"), 404)
  eq((t.get(CTX, "Accounts/a1/Name")), "corp")
  eq((t.get(CTX, "Accounts/a1/Port")), "443")
  eq(table.concat(t.get(CTX, "Accounts/a1"), "/"), "Name/Port")
  eq(status_of(t.add, CTX, "Accounts/a2", nil, "node"), 200)
  eq(table.concat(t.get(CTX, "Accounts"), "/"), "a1/a2")
  eq(t.stat(CTX, "Accounts/a1").access, "Get Add Delete")
end)

test("Delete removes a whole stored subtree", function()
  local t = accounts()
  t.add(CTX, "Accounts/a1", nil, "node")
  t.add(CTX, "Accounts/a1/Name", "corp")
  t.replace(CTX, "Accounts/a1/Port", "8443", "int")
  t.add(CTX, "Accounts/a10", nil, "node")
  t.add(CTX, "Accounts/a10/Name", "other")
  eq(status_of(t.delete, CTX, "Accounts/a1"), 200)
  eq(status_of(t.get, CTX, "Accounts/a1/Name"), 404)
  eq(table.concat(t.get(CTX, "Accounts"), "/"), "a10")
  eq((t.get(CTX, "Accounts/a10/Name")), "other", "a sibling with a common "
      .. "prefix survives")
  t.flush({})
  local saved = dm._states[STATE]
  eq(saved["Accounts/a1/Port"], nil)
  eq(saved["Accounts/a1"], nil)
  ok(saved["Accounts/a10/Name"])
  -- a new account of the same name starts from scratch
  t.add(CTX, "Accounts/a1", nil, "node")
  eq((t.get(CTX, "Accounts/a1/Port")), "443")
end)

test("anything may be added below a stored interior node", function()
  local t = accounts()
  eq(status_of(t.add, CTX, "Ext/Vendor", nil, "node"), 200)
  eq(status_of(t.add, CTX, "Ext/Vendor/Count", "5", "int"), 200)
  eq(status_of(t.add, CTX, "Ext/Vendor/Bad", "5x", "int"), 400)
  eq(status_of(t.add, CTX, "Ext/Vendor/Odd", "5", "weird"), 415)
  eq(status_of(t.add, CTX, "Ext/Vendor/Note", "hi"), 200)
  eq(status_of(t.add, CTX, "Ext/Missing/Note", "hi"), 404)
  local v, f, ty = t.get(CTX, "Ext/Vendor/Count")
  eq(v, "5")
  eq(f, "int")
  eq(ty, "text/plain")
  eq(status_of(t.replace, CTX, "Ext/Vendor/Count", "6", "b64"), 415)
  eq(status_of(t.replace, CTX, "Ext/Vendor/Count", "x6", "chr"), 400)
  eq(status_of(t.replace, CTX, "Ext/Vendor/Count", "6", "chr"), 200)
  eq(select(2, t.get(CTX, "Ext/Vendor/Count")), "int", "the node keeps its format")
  eq(status_of(t.replace, CTX, "Ext/Vendor/Count", "6"), 200)
  eq(status_of(t.replace, CTX, "Ext/Vendor", "6"), 405)
  eq(table.concat(t.get(CTX, "Ext/Vendor"), "/"), "Count/Note")
  eq(t.stat(CTX, "Ext/Vendor").format, "node")
  eq(t.stat(CTX, "Ext/Vendor/Note").access, "Get Add Replace Delete")
  eq(status_of(t.delete, CTX, "Ext/Vendor"), 200)
  eq(#t.get(CTX, "Ext"), 0)
  -- Fixed has only Get: nothing may be added below it
  eq(status_of(t.add, CTX, "Fixed/X", "1"), 405)
end)

test("rollback restores the store as it was at begin", function()
  local t = accounts()
  t.replace(CTX, "Settings/Color", "blue")
  t.add(CTX, "Accounts/a1", nil, "node")
  t.begin({})
  t.replace(CTX, "Settings/Color", "red")
  t.delete(CTX, "Accounts/a1")
  t.add(CTX, "Accounts/a2", nil, "node")
  eq(table.concat(t.get(CTX, "Accounts"), "/"), "a2")
  t.rollback({})
  eq((t.get(CTX, "Settings/Color")), "blue")
  eq(table.concat(t.get(CTX, "Accounts"), "/"), "a1")
  t.flush({})
  eq(dm._states[STATE]["Accounts/a2"], nil)
end)

test("commit keeps the changes made since begin", function()
  local t = accounts()
  t.begin({})
  t.replace(CTX, "Settings/Color", "blue")
  t.commit({})
  t.rollback({}) -- no transaction open: nothing to undo
  eq((t.get(CTX, "Settings/Color")), "blue")
end)

test("own hooks run beside the store's snapshot", function()
  local log = {}
  local t = csp.define {
    mount = "./Vendor/Store",
    V = { store = true, access = "Get Replace", default = "a" },
    begin = function() log[#log + 1] = "begin" end,
    commit = function() log[#log + 1] = "commit" end,
    rollback = function() log[#log + 1] = "rollback" end,
  }
  t.begin({})
  t.replace(CTX, "V", "b")
  t.rollback({})
  eq((t.get(CTX, "V")), "a")
  eq(table.concat(log, ","), "begin,rollback")
end)

test("a state that cannot be loaded or saved is 500", function()
  local t = accounts()
  dm.state_load = function() return nil, "disk on fire" end
  local st, msg = status_of(t.get, CTX, "Settings/Color")
  eq(st, 500)
  ok(msg:find("disk on fire"), msg)
  dm.state_load = function() return {} end
  dm.state_save = function() return nil, "read-only" end
  t.replace(CTX, "Settings/Color", "blue")
  eq(status_of(t.flush, {}), 500)
end)

test("dm.store keeps format, type and data of each entry", function()
  local store = require "dm.store"
  eq(store.name_for("./Vendor/MSFT/Policy"), "__Vendor_MSFT_Policy")
  local s = store.open("t")
  s:set("a", "chr", "text/plain", "line1\nline2\n")
  s:set("a/b", "node", nil, "")
  s:set("ab", "b64", "application/x", "")
  s:flush()
  local again = store.open("t")
  local e = again:get("a")
  eq(e.data, "line1\nline2\n")
  eq(e.type, "text/plain")
  eq(again:get("a/b").format, "node")
  eq(again:get("a/b").type, nil)
  eq(again:get("ab").format, "b64")
  eq(table.concat(again:children(""), ","), "a,ab")
  eq(table.concat(again:children("a"), ","), "b")
  eq(again:remove("a"), 2)
  eq(again:get("ab").type, "application/x")
end)
