-- check_csp fixture: the shapes get may return, the conventions of the
-- mutators' results, and what a script sees of ctx and of exec's arguments.
local last_exec = "none"

local get = {
  list = function() return { "a", "b" } end,
  empty_list = function() return {} end,
  int = function() return 42 end,
  float = function() return 1.5 end,
  bool = function() return true end,
  str = function() return "hello", "xml", "text/xml" end,
  bad_slash = function() return { "ok", "a/b" } end,
  bad_empty = function() return { "" } end,
  bad_star = function() return { "*" } end,
  bad_type = function() return { "a", 7 } end,
  missing = function() return nil end,
  missing_msg = function() return nil, 404, "gone" end,
  -- nil, message: a failure in words; a missing file reads as 404
  failed_msg = function() return nil, "went wrong" end,
  no_file = function() return dm.read_file("/luadm/no/such/file") end,
  func = function() return print end,
  last_exec = function() return last_exec end,
  ctx = function(ctx)
    return table.concat({ ctx.scope, ctx.server_id or "-",
        ctx.session_id or "-", ctx.uri or "-", ctx.cmd, ctx.mount }, "|")
  end,
}

-- replace(path) answers by the convention named by path.
local replace = {
  nothing = function() end,
  ["true"] = function() return true end,
  accepted = function() return 202 end,
  not_found = function() return nil, 404, "msg" end,
  ["false"] = function() return false end,
  nil_msg = function() return nil, "went wrong" end,
  false_msg = function() return false, "went wrong" end,
  -- the system's text for EACCES, as dm.* and io.open report it
  denied = function() return nil, "/etc/shadow: Permission denied" end,
  raise_denied = function() error("/etc/shadow: Permission denied") end,
  bad_number = function() return 42 end,
  table = function() return {} end,
}

return {
  mount = "./Vendor/Values",
  get = function(ctx, path) return get[path](ctx) end,
  replace = function(ctx, path) return replace[path]() end,
  exec = function(ctx, path, data, correlator)
    last_exec = path .. "|" .. tostring(data) .. "|" .. tostring(correlator)
  end,
}
