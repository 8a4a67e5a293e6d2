-- wrk: Telegram-shaped webhook POSTs with the secret; every request a new update_id (so each is
-- journaled and handled, not deduplicated), from 100 chats the emulator knows.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "bench-secret"

local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local id = 500000000 + thread_id * 100000000 + counter
  local chat = 1000 + (counter % 100)
  local body = string.format('{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Alice","last_name":"Example","username":"alice%d","language_code":"en"},"chat":{"id":%d,"first_name":"Alice","last_name":"Example","username":"alice%d","type":"private"},"date":1796190000,"text":"webhook benchmark message number %d with a realistic length"}}',
    id, counter, chat, chat, chat, chat, counter)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
