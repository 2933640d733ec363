-- check_csp fixture: a bystander that must keep working while errors.lua
-- fails in every way.
return {
  mount = "./Vendor/Other",
  get = function(ctx, path) return "other:" .. path end,
}
