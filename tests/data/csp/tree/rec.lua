-- check_tree fixture: an in-memory subtree that records every call that
-- changes it, so check_tree can see what the tree asked of the CSP and in
-- which order. ./Vendor/Rec/log reads the record ("verb:path:format;...").
--   leaf   a leaf anyone may change
--   ro     a leaf whose access types allow Get only
--   locked a leaf that declares its own default ACL (Get only)
--   log    the record
local nodes = {
  [""] = { format = "node" },
  leaf = { format = "chr", value = "v0", type = "text/plain" },
  ro = { format = "int", value = "7", access = "Get" },
  locked = { format = "chr", value = "l", acl = "Get=*" },
  log = { format = "chr", access = "Get" },
}
local calls = {}

local function record(verb, path, format)
  calls[#calls + 1] = verb .. ":" .. path .. ":" .. tostring(format)
end

local function children(path)
  local prefix = path == "" and "" or path .. "/"
  local names = {}
  for p in pairs(nodes) do
    if p ~= path and p:sub(1, #prefix) == prefix and
        not p:find("/", #prefix + 1, true) then
      names[#names + 1] = p:sub(#prefix + 1)
    end
  end
  table.sort(names)
  return names
end

return {
  mount = "./Vendor/Rec",
  stat = function(ctx, path)
    local n = nodes[path]
    if not n then return nil end
    return { format = n.format, type = n.type, access = n.access,
        acl = n.acl, size = n.value and #n.value or nil }
  end,
  get = function(ctx, path)
    local n = nodes[path]
    if not n then return nil end
    if path == "log" then return table.concat(calls, ";") end
    if n.format == "node" then return children(path) end
    return n.value, n.format, n.type
  end,
  add = function(ctx, path, value, format, type)
    record("add", path, format)
    nodes[path] = { format = format, value = value, type = type }
  end,
  replace = function(ctx, path, value, format)
    record("replace", path, format)
    nodes[path].value = value
  end,
  delete = function(ctx, path)
    record("delete", path)
    for p in pairs(nodes) do
      if p == path or p:sub(1, #path + 1) == path .. "/" then
        nodes[p] = nil
      end
    end
  end,
  exec = function(ctx, path, data)
    record("exec", path, data)
  end,
}
