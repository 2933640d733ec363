-- ./Vendor/Bench/LO: the CSP of the large-object benchmark (bench/bench_lo.c
-- copies it into its CSP directory as BenchLO.lua). Written against the
-- raw contract of core/csp.h (no SDK).
--
--   in-<C>    Replace takes a large object delivered in chunks of C bytes
--             (C a multiple of 65536). It must come as a luadm.Blob; the
--             CSP reads the file in 64 KiB pieces and checks every piece
--             against the pattern bench_lo.c sent: chunk k (from 0) is
--             the 64-byte record of k repeated, the record being k as 8
--             digits and 56 filler bytes. Anything else raises (500).
--   out-<N>   Get answers N bytes (N a multiple of 64): the record of
--             chunk 0 repeated, for the client -> server direction. The
--             value is the file csp.BenchLO.out_file of the configuration
--             (bench_lo.c writes it), answered as a luadm.Blob
--             (dm.blob_file): luadm sends it from the file, chunk by
--             chunk, so it never sits whole in memory.
--
-- Only what the benchmark needs: no state, nothing kept between calls.

local FILL = "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012"
local PIECE = 65536

local function record(k)
  return string.format("%08d", k) .. FILL
end

-- Checks the Blob v holds what bench_lo.c sent in chunks of csize bytes.
local function check_blob(v, csize)
  if not dm.is_blob(v) then
    error("in-" .. csize .. ": the value is a " .. type(v) ..
        ", not a luadm.Blob")
  end
  local f, err = io.open(v:path(), "rb")
  if not f then
    error("cannot open the Blob: " .. tostring(err))
  end
  local size, cur, want = 0, -1, nil
  while true do
    local piece = f:read(PIECE)
    if not piece then
      break
    end
    local k = size // csize
    if k ~= cur then
      cur = k
      want = string.rep(record(k), PIECE // 64)
    end
    if piece ~= want:sub(1, #piece) then
      f:close()
      error(string.format("in-%d: the bytes at offset %d are not chunk " ..
          "%d's", csize, size, k))
    end
    size = size + #piece
  end
  f:close()
  if size ~= v:size() then
    error(string.format("in-%d: read %d bytes, the Blob says %d", csize,
        size, v:size()))
  end
end

return {
  mount = "./Vendor/Bench/LO",

  stat = function(ctx, path)
    if path == "" then
      return { format = "node", access = "Get" }
    elseif path:match("^in%-%d+$") then
      return { format = "chr", type = "text/plain", access = "Replace" }
    elseif path:match("^out%-%d+$") then
      return { format = "chr", type = "text/plain", access = "Get" }
    end
    return nil
  end,

  get = function(ctx, path)
    if path == "" then
      return {}
    end
    local n = tonumber(path:match("^out%-(%d+)$"))
    if not n or n % 64 ~= 0 then
      return nil, 404, path .. ": no such leaf"
    end
    local file = dm.config.csp.out_file
    if not file then
      return nil, 500, "csp.BenchLO.out_file is not configured"
    end
    local blob, err = dm.blob_file(file)
    if not blob then
      return nil, err
    elseif blob:size() ~= n then
      return nil, 500, string.format("%s holds %d bytes, not %d", file,
          blob:size(), n)
    end
    return blob, "chr", "text/plain"
  end,

  replace = function(ctx, path, v)
    local csize = tonumber(path:match("^in%-(%d+)$"))
    if not csize or csize % PIECE ~= 0 then
      return nil, 405, path .. ": not an in-<chunk size> leaf"
    end
    check_blob(v, csize)
  end,
}
