-- user-get-many.lua: GET /api/v1/users/{uid} over 100 users per thread in turn, more than a
-- worker's cache of users holds (UC_ENTRIES, src/core/user_cache.c), so every read goes to
-- PostgreSQL: user_get's cost without the cache. Each thread first lists its own 100 uids
-- (username prefix "user0<thread>", served by the username index).
local threads = 0
local uids = {}
local n = 0

function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

function init(args)
	prefix = string.format("user0%02d", tid % 100)
end

function request()
	if #uids == 0 then
		return wrk.format("GET", string.format("/api/v1/users?q=username:%s*&limit=100", prefix))
	end
	n = n + 1
	return wrk.format("GET", "/api/v1/users/" .. uids[n % #uids + 1])
end

function response(status, headers, body)
	if #uids == 0 and status == 200 then
		for uid in string.gmatch(body, '"uid":"([0-9a-f%-]+)"') do
			uids[#uids + 1] = uid
		end
	end
end
