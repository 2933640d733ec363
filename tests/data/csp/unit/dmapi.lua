-- check_csp fixture: the dm.* API as a script uses it. get(path) runs one
-- helper and answers with its results joined by "|", for check_csp to
-- compare; files live under the test's system root and state_dir.
local function join(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  return table.concat(t, "|")
end

local get = {
  read = function() return dm.read_file("/etc/data.txt") end,
  read_relative = function() return dm.read_file("etc/data.txt") end,
  read_cap = function() return join(dm.read_file("/etc/data.txt", 4)) end,
  read_missing = function() return join(dm.read_file("/etc/nothing")) end,
  write_mode = function()
    return join(dm.write_file_atomic("/out.txt", "written", "0640"))
  end,
  run_echo = function()
    local r = dm.run({ "echo", "hi" })
    return join(r.code, r.stdout, r.stderr, r.timed_out)
  end,
  run_missing = function()
    return join(dm.run({ "/nonexistent/luadm-no-such-program" }))
  end,
  run_sleep = function()
    local r = dm.run({ "sleep", "5" }, { timeout_ms = 200 })
    return join(r.timed_out, r.code)
  end,
  run_cat = function()
    local r = dm.run({ "cat" }, { stdin = "fed\0through stdin" })
    return join(r.code, r.stdout)
  end,
  run_exit = function()
    local r = dm.run({ "sh", "-c", "echo err >&2; exit 3" })
    return join(r.code, r.stdout, r.stderr)
  end,
  -- with runner = { "env" }: env sets FOO and runs printenv
  run_runner = function()
    local r, err = dm.run({ "FOO=bar", "printenv", "FOO" })
    if not r then return "nil|" .. err end
    return join(r.code, r.stdout)
  end,
  sha256 = function() return dm.sha256("abc") end,
  b64 = function()
    local bin = "\0\1\2\255 binary"
    local enc = dm.b64encode(bin)
    return join(enc, dm.b64decode(enc) == bin, dm.b64decode("!!not b64!!"))
  end,
  state = function()
    local t = { ["k\0ey"] = "v\0al\255", plain = "x", empty = "" }
    assert(dm.state_save("roundtrip", t))
    local back = assert(dm.state_load("roundtrip"))
    local n = 0
    for k, v in pairs(back) do
      if t[k] ~= v then return "mismatch at " .. k end
      n = n + 1
    end
    return join(n, back["k\0ey"] == "v\0al\255")
  end,
  state_missing = function()
    return join(next(assert(dm.state_load("never_saved"))))
  end,
  escape = function() return dm.escape("é") end,
}

return {
  mount = "./Vendor/DmApi",
  get = function(ctx, path) return get[path]() end,
}
