-- mixed.lua: the mixed workload of the memory run, one request in 20 of each kind:
--   9 × GET /api/v1/me                 (admin key, the key cache)
--   8 × GET /api/v1/users/{BENCH_UID}  (a tenant transaction)
--   1 × GET /api/v1/users?department=eng&limit=100   (a page of 100 users: the largest arena)
--   2 × POST /api/v1/users             (a new e-mail each time: insert and audit)
-- Keys and the uid come from the environment run.sh exports.
local n = 0

function init(args)
	-- A random prefix per thread keeps the e-mails unique across threads and runs.
	local f = assert(io.open("/dev/urandom", "rb"))
	prefix = "m" .. f:read(8):gsub(".", function(c) return string.format("%02x", c:byte()) end)
	f:close()
	admin = { ["Authorization"] = "Bearer " .. os.getenv("GATEHOUSE_ADMIN_KEY") }
	org = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_ORG_KEY") }
	create = {
		["Authorization"] = org["Authorization"],
		["Content-Type"] = "application/json",
	}
	user = "/api/v1/users/" .. os.getenv("BENCH_UID")
end

function request()
	n = n + 1
	local k = n % 20
	if k < 9 then
		return wrk.format("GET", "/api/v1/me", admin)
	elseif k < 17 then
		return wrk.format("GET", user, org)
	elseif k < 18 then
		return wrk.format("GET", "/api/v1/users?department=eng&limit=100", org)
	end
	return wrk.format("POST", "/api/v1/users", create,
	    string.format('{"email":"%s-%d@mixed.example","auth_method":"sso"}', prefix, n))
end
