-- check_csp fixture: a CSP with all three transaction hooks.
local log = {}
return {
  mount = "./Vendor/Tx",
  get = function(ctx, path) return table.concat(log, ",") end,
  begin = function(ctx) log[#log + 1] = "begin:" .. ctx.cmd end,
  commit = function() log[#log + 1] = "commit" end,
  rollback = function() log[#log + 1] = "rollback" end,
}
