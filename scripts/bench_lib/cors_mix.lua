-- wrk script for scripts/bench: a browser's CORS traffic mix, cycling per connection
-- (run wrk with as many threads as connections so that each connection keeps its order:
-- a preflight's response arrives before the request it announced is sent).
--
-- Per cycle of 10 requests:
--   3 simple cross-origin GETs with Origin (one with a cookie: credentials "include"),
--   2 preflights (OPTIONS + Origin + Access-Control-Request-Method/-Headers),
--   2 JSON POSTs, each right after its own preflight, to a fresh URL (no preflight cache hit),
--   3 requests without Origin (a script, an image, a navigation).
-- Header sets are Chromium 126's (12 to 16 fields).
--
-- Environment:
--   BENCH_PREFIX  "" (origin-form request lines: reverse proxy, or the server itself) or
--                 "http://127.0.0.1:PORT" (absolute-form: a regular forward proxy)
--   BENCH_HOST    the Host header
--   BENCH_LIMIT   stop each thread after this many responses and say so on stdout
--                 (0: run for wrk's -d)

local prefix = os.getenv("BENCH_PREFIX") or ""
local host = os.getenv("BENCH_HOST") or "127.0.0.1"
local limit = tonumber(os.getenv("BENCH_LIMIT") or "0") or 0

local ORIGIN = "http://localhost:3000"
local REFERER = "http://localhost:3000/dashboard"
local UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    .. " Chrome/126.0.0.0 Safari/537.36"
local CH_UA = '"Not/A)Brand";v="8", "Chromium";v="126", "Google Chrome";v="126"'

local thread_count = 0
function setup(thread)
    thread_count = thread_count + 1
    thread:set("tid", thread_count)
end

local step = 0
local n = 0

local function common(h)
    h["Host"] = host
    h["Connection"] = "keep-alive"
    h["sec-ch-ua"] = CH_UA
    h["sec-ch-ua-mobile"] = "?0"
    h["sec-ch-ua-platform"] = '"Linux"'
    h["User-Agent"] = UA
    h["Accept-Encoding"] = "gzip, deflate, br, zstd"
    h["Accept-Language"] = "en-US,en;q=0.9"
    return h
end

local function fetch_headers(extra)
    local h = common({
        ["Accept"] = "application/json, text/plain, */*",
        ["Origin"] = ORIGIN,
        ["Sec-Fetch-Site"] = "cross-site",
        ["Sec-Fetch-Mode"] = "cors",
        ["Sec-Fetch-Dest"] = "empty",
        ["Referer"] = REFERER,
    })
    for k, v in pairs(extra or {}) do h[k] = v end
    return h
end

local function preflight(path, method, acrh)
    return wrk.format("OPTIONS", prefix .. path, common({
        ["Accept"] = "*/*",
        ["Access-Control-Request-Method"] = method,
        ["Access-Control-Request-Headers"] = acrh,
        ["Origin"] = ORIGIN,
        ["Sec-Fetch-Mode"] = "cors",
        ["Sec-Fetch-Site"] = "cross-site",
        ["Sec-Fetch-Dest"] = "empty",
        ["Referer"] = REFERER,
    }))
end

local function no_origin(path, dest, mode, accept, extra)
    local h = common({
        ["Accept"] = accept,
        ["Sec-Fetch-Site"] = "same-origin",
        ["Sec-Fetch-Mode"] = mode,
        ["Sec-Fetch-Dest"] = dest,
        ["Referer"] = REFERER,
    })
    for k, v in pairs(extra or {}) do h[k] = v end
    return wrk.format("GET", prefix .. path, h)
end

local BODY = '{"name":"widget","qty":3,"tags":["a","b"],"note":"bench"}'

function request()
    step = step % 10 + 1
    if step == 1 then n = n + 1 end
    local id = tostring(tid or 0) .. "-" .. tostring(n)
    if step == 1 then
        return wrk.format("GET", prefix .. "/api/v1/items?page=" .. (n % 20), fetch_headers())
    elseif step == 2 then
        return preflight("/api/v1/items/" .. id, "POST", "content-type")
    elseif step == 3 then
        return wrk.format("POST", prefix .. "/api/v1/items/" .. id,
            fetch_headers({["Content-Type"] = "application/json"}), BODY)
    elseif step == 4 then
        return no_origin("/assets/app." .. (n % 50) .. ".js", "script", "no-cors", "*/*")
    elseif step == 5 then
        return wrk.format("GET", prefix .. "/api/v1/me",
            fetch_headers({["Cookie"] = "sid=8d1f0c2a9b; theme=dark"}))
    elseif step == 6 then
        return preflight("/api/v1/orders/" .. id, "POST", "authorization,content-type,x-request-id")
    elseif step == 7 then
        return wrk.format("POST", prefix .. "/api/v1/orders/" .. id, fetch_headers({
            ["Content-Type"] = "application/json",
            ["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bench",
            ["X-Request-Id"] = id,
        }), BODY)
    elseif step == 8 then
        return no_origin("/img/logo.png", "image", "no-cors",
            "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8")
    elseif step == 9 then
        return wrk.format("GET", prefix .. "/api/v1/search?q=w" .. (n % 100), fetch_headers())
    else
        return no_origin("/dashboard", "document", "navigate",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            {["Upgrade-Insecure-Requests"] = "1", ["Sec-Fetch-User"] = "?1"})
    end
end

if limit > 0 then
    local seen = 0
    function response(status, headers, body)
        seen = seen + 1
        if seen == limit then
            -- wrk waits out -d even when every thread has stopped: tell the runner, which
            -- interrupts wrk (SIGINT) once every thread has said so.
            io.write("bench: limit reached\n")
            io.flush()
            wrk.thread:stop()
        end
    end
end
