-- wrk script of the load benchmark (bench/load.py runs it; see that file for the whole set-up).
--
--   wrk -t T -c C -d 30s --latency -s bench/load.lua URL -- MODE DIR T WEIGHTS STARTS
--
-- MODE "bare" sends GET /api/v1/health; MODE "mix" reads the prepared requests of each kind from
-- DIR/<kind>.tsv (method, path, token, body: one request a line) and sends them in a fixed,
-- interleaved cycle whose shares are WEIGHTS ("search=10,candidates=4,..."). Kinds listed in
-- STARTS ("book=0,checkin=0") use each line once: a booking or a check-in cannot be repeated, so
-- thread k of T takes lines start+k, start+k+T, ... and reports how many it used, and the next
-- round starts after them. Every request carries X-Request-ID "load-<kind>-...", which the app
-- echoes, so that response() can count statuses by kind. done() prints one JSON line.

local mode, dir, thread_count
local kinds = {}        -- kind -> list of prepared requests
local consumable = {}   -- kind -> true when each line may be sent once
local cycle = {}        -- the kinds in sending order
local position = 0
local sequence = 0

used = {}       -- kind -> lines taken by this thread (read back in done())
wrapped = {}    -- kind -> lines sent a second time because the pool ran out
statuses = {}   -- "kind status" -> count (flat: wrk copies nested tables between threads badly)

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    table.insert(parts, part)
  end
  return parts
end

local function pairs_of(text)
  local found = {}
  for _, item in ipairs(split(text, ",")) do
    local key, value = string.match(item, "^([%w_]+)=(%d+)$")
    found[key] = tonumber(value)
  end
  return found
end

local function load_kind(kind)
  local requests = {}
  local file = assert(io.open(dir .. "/" .. kind .. ".tsv", "r"))
  for line in file:lines() do
    local method, path, token, body = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    table.insert(requests, {method = method, path = path, token = token, body = body})
  end
  file:close()
  return requests
end

function init(args)
  mode, dir, thread_count = args[1], args[2], tonumber(args[3])
  if mode == "bare" then
    return
  end
  local weights = pairs_of(args[4])
  local starts = pairs_of(args[5] or "")
  local names = {}
  for kind, _ in pairs(weights) do
    table.insert(names, kind)
  end
  table.sort(names)
  for _, kind in ipairs(names) do
    kinds[kind] = load_kind(kind)
    used[kind] = 0
    wrapped[kind] = 0
    if starts[kind] ~= nil then
      consumable[kind] = starts[kind]
    end
  end
  -- Interleave the kinds (largest remainder first) so that every short stretch has the mix.
  local total = 0
  for _, kind in ipairs(names) do
    total = total + weights[kind]
  end
  local credit = {}
  for _, kind in ipairs(names) do
    credit[kind] = 0
  end
  for _ = 1, total do
    local best
    for _, kind in ipairs(names) do
      credit[kind] = credit[kind] + weights[kind]
      if best == nil or credit[kind] > credit[best] then
        best = kind
      end
    end
    credit[best] = credit[best] - total
    table.insert(cycle, best)
  end
  position = thread_index % #cycle
end

local function pick(kind)
  local requests = kinds[kind]
  local start = consumable[kind]
  if start == nil then
    sequence = sequence + 1
    return requests[(sequence * 7919 + thread_index) % #requests + 1]
  end
  local index = start + used[kind] * thread_count + thread_index
  used[kind] = used[kind] + 1
  if index >= #requests then
    wrapped[kind] = wrapped[kind] + 1
    index = index % #requests
  end
  return requests[index + 1]
end

function request()
  sequence = sequence + 1
  if mode == "bare" then
    return wrk.format("GET", "/api/v1/health", {["X-Request-ID"] = "load-health-" .. sequence})
  end
  position = position % #cycle + 1
  local kind = cycle[position]
  local chosen = pick(kind)
  local headers = {
    ["X-Request-ID"] = "load-" .. kind .. "-" .. thread_index .. "-" .. sequence,
    ["Authorization"] = "Bearer " .. chosen.token,
  }
  local body = nil
  if chosen.body ~= "" then
    headers["Content-Type"] = "application/json"
    body = chosen.body
  end
  return wrk.format(chosen.method, chosen.path, headers, body)
end

function response(status, headers, body)
  local id = headers["X-Request-ID"] or headers["x-request-id"] or ""
  local kind = string.match(id, "^load%-(%a+)%-") or "unknown"
  local key = kind .. " " .. status
  statuses[key] = (statuses[key] or 0) + 1
end

local function encode(value)
  if type(value) == "table" then
    local parts = {}
    for key, item in pairs(value) do
      table.insert(parts, string.format("%q:%s", tostring(key), encode(item)))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  if value ~= value or value == math.huge or value == -math.huge then
    return "null" -- no requests, no latency: JSON has no NaN
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local per_thread = {}
  for index, thread in ipairs(threads) do
    per_thread[tostring(index - 1)] = {
      used = thread:get("used"),
      wrapped = thread:get("wrapped"),
      statuses = thread:get("statuses"),
    }
  end
  local result = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    socket_errors = summary.errors,
    latency_us = {
      mean = latency.mean,
      max = latency.max,
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
    },
    threads = per_thread,
  }
  io.write("LOAD-RESULT " .. encode(result) .. "\n")
end
