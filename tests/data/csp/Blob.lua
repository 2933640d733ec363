-- Blob: a test CSP at ./Vendor/Test/Blob whose leaves are files under
-- /blob/ of the sysroot, answered by Get as luadm.Blobs (dm.blob_file):
-- luadm sends them from the file, in chunks when they are large.
--
--   <name>        Get: the file /blob/<name> (Format bin when the name ends
--                 in ".bin", else chr); 404 when there is no such file
--   <name>        Exec: changes the file in place (same inode, so a Get
--                 being sent sees it): data "truncate" empties it, any
--                 other data is appended
--   Held          Get: a file opened at load time and removed since: the
--                 Blob keeps its descriptor, the value is still there
--
-- Raw contract (core/csp.h), no SDK, no state.

local held = nil

local function file_of(path)
  return "/blob/" .. path
end

return {
  mount = "./Vendor/Test/Blob",

  stat = function(ctx, path)
    if path == "" then
      return { format = "node", access = "Get" }
    end
    return { format = path:match("%.bin$") and "bin" or "chr",
      access = "Get Exec" }
  end,

  get = function(ctx, path)
    if path == "" then
      return dm.list_dir("/blob") or {}
    elseif path == "Held" then
      if not held then
        -- open it, then remove it: only the Blob's descriptor is left
        local ok, err = dm.write_file_atomic("/held.txt", "held value\n")
        if not ok then
          return nil, err
        end
        held = assert(dm.blob_file("/held.txt"))
        os.remove(dm.path("/held.txt"))
      end
      return held
    end
    local blob, err = dm.blob_file(file_of(path))
    if not blob then
      return nil, err
    end
    return blob, path:match("%.bin$") and "bin" or "chr"
  end,

  exec = function(ctx, path, data)
    local f, err = io.open(dm.path(file_of(path)),
        data == "truncate" and "wb" or "ab")
    if not f then
      return nil, err
    end
    if data ~= "truncate" then
      f:write(data or "")
    end
    f:close()
  end,
}
