-- ./Vendor/luadm/Files: files a server manages, such as /etc/motd or a
-- configuration snippet.
--
--   <id>          Add Delete   a managed file (the id is the server's name)
--   <id>/Path     Get Replace  where the file lives (absolute)
--   <id>/Mode     Get Replace  its permissions, octal (default 0644)
--   <id>/Owner    Get Replace  "user" or "user:group" (default: as written)
--   <id>/Content  Get Replace  the contents: Replace writes the file
--
-- A server adds <id>, replaces Path (and Mode, Owner), then replaces
-- Content, which writes the file atomically at Path with Mode and Owner.
-- Changing Mode or Owner of a written file applies at once (chmod, chown).
-- Get of Content answers the file as it is now; one over 64 KiB is
-- answered as the file itself (dm.blob_file), which luadm sends from the
-- file in chunks, never whole in memory (base64 when it is binary). Delete of <id> removes the
-- file if this CSP wrote it, and forgets the record.
--
-- Nothing is written outside the allow-list of the configuration:
--
--   csp = { Files = { allow = { "/etc/motd", "/etc/myapp/" } } }
--
-- An entry ending in "/" allows every file below that directory; any other
-- entry allows that one file. Without an allow-list every write is refused
-- (403). The check is on the path as written: a symbolic link inside an
-- allowed directory leads wherever it points, so keep such directories
-- clean. Owner names are checked against /etc/passwd and /etc/group, and
-- the file gets the numeric ids found there.
--
-- The records live in luadm's state directory (state file Files.map). In
-- an Atomic, begin/commit/rollback keep the records and the old contents of
-- every file written, and rollback puts both back.
local csp = require "dm.csp"
local sys = require "dm.sys"

local STATE = "Files"

-- Get of Content reads a file up to this size; a larger one is answered
-- as a luadm.Blob (dm.blob_file)
local SMALL = 64 * 1024

local function fail(status, fmt, ...)
  error({ status = status, message = string.format(fmt, ...) }, 0)
end

local function label(n)
  return n.mount .. "/" .. n.path
end

-- The records: "<id>" = "" for each managed file, "<id>/Path", "<id>/Mode",
-- "<id>/Owner", and "<id>/Written" = "1" once this CSP wrote the file.
local function read_records()
  local t, err = dm.state_load(STATE)
  if not t then
    fail(500, "cannot read the managed files: %s", err)
  end
  return t
end

local function save_records(t)
  local ok, err = dm.state_save(STATE, t)
  if not ok then
    fail(500, "cannot save the managed files: %s", err)
  end
end

-- Atomic: the records at begin, and path -> old contents (false: there
-- was no file) of the files written since.
local tx = nil

-- Why path may not be written, or nil when the allow-list allows it.
local function refused(path)
  local allow = dm.config.csp.allow
  if type(allow) ~= "table" or #allow == 0 then
    return "no file may be written: csp.Files.allow in the configuration "
        .. "lists no path"
  end
  for _, a in ipairs(allow) do
    if type(a) == "string" and (a == path or
        (a:sub(-1) == "/" and path:sub(1, #a) == a)) then
      return nil
    end
  end
  return path .. " is not in csp.Files.allow of the configuration"
end

-- Raises 403 unless path may be written.
local function check_allowed(n, path)
  local why = refused(path)
  if why then
    fail(403, "%s: %s", label(n), why)
  end
end

-- A clean absolute path: "/" first, no empty, "." or ".." segments.
local function clean_path(p)
  if p:sub(1, 1) ~= "/" or p:sub(-1) == "/" or p:find("%z") then
    return false, "an absolute path to a file, e.g. /etc/motd"
  end
  for seg in p:sub(2):gmatch("[^/]*") do
    if seg == "" or seg == "." or seg == ".." then
      return false, "no empty, \".\" or \"..\" parts in the path"
    end
  end
  return true
end

-- The numeric id of name in the colon-separated database file, or nil.
local function id_of(file, name)
  for line in (dm.read_file(file) or ""):gmatch("[^\n]+") do
    local entry, id = line:match("^([^:]*):[^:]*:(%d+):")
    if entry == name then
      return id
    end
  end
  return nil
end

-- "user[:group]" -> "uid:gid" (gid may be empty), or nil and why.
local function owner_ids(owner)
  local user, group = owner:match("^([^:]+):?(.*)$")
  local uid = user and id_of("/etc/passwd", user)
  if not uid then
    return nil, string.format("no user %q in /etc/passwd", user or owner)
  end
  if group == "" then
    return uid
  end
  local gid = id_of("/etc/group", group)
  if not gid then
    return nil, string.format("no group %q in /etc/group", group)
  end
  return uid .. ":" .. gid
end

-- Runs argv; raises 500 with its stderr when it fails.
local function run(n, argv)
  local r, err = dm.run(argv)
  if not r then
    fail(500, "%s: %s", label(n), err)
  elseif r.code ~= 0 then
    local why = sys.trim(r.stderr)
    if why:sub(1, #argv[1] + 1) ~= argv[1] .. ":" then
      why = argv[1] .. ": " .. (why ~= "" and why or "failed")
    end
    fail(500, "%s: %s", label(n), why)
  end
end

local function apply_owner(n, path, owner)
  if owner ~= "" then
    local ids, why = owner_ids(owner)
    if not ids then
      fail(409, "%s: %s", label(n), why)
    end
    run(n, { "chown", ids, dm.path(path) })
  end
end

-- Writes data at path for record id of t (an Atomic remembers the old
-- contents first).
local function write(n, t, id, data)
  local path = t[id .. "/Path"]
  check_allowed(n, path)
  if tx and tx.files[path] == nil then
    tx.files[path] = dm.read_file(path) or false
  end
  local mode = t[id .. "/Mode"]
  local ok, err = dm.write_file_atomic(path, data, mode)
  if not ok then
    fail(500, "%s: %s", label(n), err)
  end
  t[id .. "/Written"] = "1"
  save_records(t)
  apply_owner(n, path, t[id .. "/Owner"])
end

-- The spec of a leaf of the record: get returns the value; replace (the
-- value was validated already) calls apply(n, t, id, value), which may
-- refuse or change the file, then saves the value.
local function field(key, apply, spec)
  spec.access = "Get Replace"
  spec.get = function(ctx, n)
    return read_records()[n.args[1] .. "/" .. key] or ""
  end
  spec.replace = function(ctx, n, value)
    local t, id = read_records(), n.args[1]
    apply(n, t, id, value)
    t[id .. "/" .. key] = value
    save_records(t)
  end
  return spec
end

-- Path moves no written file: that would leave the old one behind.
local function set_path(n, t, id, path)
  local old = t[id .. "/Path"]
  if t[id .. "/Written"] and old ~= path then
    fail(409, "%s: the file was written at %s; delete %s and add it again "
        .. "to move it", label(n), old, id)
  end
  check_allowed(n, path)
end

local function set_mode(n, t, id, mode)
  if t[id .. "/Written"] then
    check_allowed(n, t[id .. "/Path"])
    run(n, { "chmod", mode, dm.path(t[id .. "/Path"]) })
  end
end

local function set_owner(n, t, id, owner)
  if t[id .. "/Written"] then
    check_allowed(n, t[id .. "/Path"])
    apply_owner(n, t[id .. "/Path"], owner)
  end
end

return csp.define {
  mount = "./Vendor/luadm/Files",
  description = "Files managed by the server",
  children = function()
    local ids = {}
    for key in pairs(read_records()) do
      if not key:find("/", 1, true) then
        ids[#ids + 1] = key
      end
    end
    table.sort(ids)
    return ids
  end,

  ["*"] = {
    access = "Get Add Delete",
    title = "Id",
    description = "One managed file; the name is the server's choice",
    add = function(ctx, n, value, format)
      local id = n.args[1]
      if not id:find("^[%w_.-]+$") or #id > 64 then
        return nil, 400, label(n) .. ": an id is up to 64 letters, digits, "
            .. "\"_\", \".\" and \"-\""
      end
      local t = read_records()
      t[id], t[id .. "/Mode"], t[id .. "/Owner"] = "", "0644", ""
      save_records(t)
    end,
    delete = function(ctx, n)
      local t, id = read_records(), n.args[1]
      local path = t[id .. "/Path"]
      if t[id .. "/Written"] and path then
        local why = refused(path)
        if why then
          dm.log("warn", label(n) .. ": " .. path .. " stays: " .. why)
        else
          if tx and tx.files[path] == nil then
            tx.files[path] = dm.read_file(path) or false
          end
          local ok, err = os.remove(dm.path(path))
          if not ok and dm.exists(path) then
            fail(500, "%s: %s", label(n), err)
          end
        end
      end
      for _, key in ipairs { "", "/Path", "/Mode", "/Owner", "/Written" } do
        t[id .. key] = nil
      end
      save_records(t)
    end,

    Path = field("Path", set_path, {
      description = "The file's absolute path; must be allowed by "
          .. "csp.Files.allow",
      validate = clean_path,
    }),

    Mode = field("Mode", set_mode, {
      description = "Permissions in octal, e.g. 0644",
      validate = "0?[0-7][0-7][0-7]",
    }),

    Owner = field("Owner", set_owner, {
      description = "user or user:group from /etc/passwd and /etc/group; "
          .. "empty: as written",
      validate = function(owner)
        if owner == "" then
          return true
        end
        local ids, why = owner_ids(owner)
        return ids ~= nil, why
      end,
    }),

    Content = {
      access = "Get Replace",
      description = "The file's contents; Replace writes the file",
      get = function(ctx, n)
        local path = read_records()[n.args[1] .. "/Path"]
        if not path then
          return ""
        end
        local data = dm.read_file(path, SMALL)
        if data then
          return data
        elseif not dm.exists(path) then
          return ""  -- not written yet
        end
        -- a large file: answered as the file itself, which luadm sends
        -- in chunks without ever reading it whole into memory
        local blob, err = dm.blob_file(path)
        if not blob then
          fail(err:find("Permission denied", 1, true) and 425 or 500,
              "%s: %s", label(n), err)
        end
        return blob
      end,
      replace = function(ctx, n, data)
        local t, id = read_records(), n.args[1]
        if not t[id .. "/Path"] then
          return nil, 409, label(n) .. ": replace Path first"
        end
        if dm.is_blob(data) then
          data = data:read()
        end
        write(n, t, id, data)
      end,
    },
  },

  -- Atomic: what to put back when a later command fails
  begin = function()
    tx = { records = read_records(), files = {} }
  end,
  commit = function()
    tx = nil
  end,
  rollback = function()
    local undo = tx
    tx = nil
    if not undo then
      return
    end
    for path, old in pairs(undo.files) do
      if old then
        dm.write_file_atomic(path, old)
      else
        os.remove(dm.path(path))
      end
    end
    save_records(undo.records)
  end,
}
