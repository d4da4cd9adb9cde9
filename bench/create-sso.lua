-- create-sso.lua: POST /api/v1/users, a new e-mail every request, no password (external sign-in).
local n = 0
local threads = 0

function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

function init(args)
	math.randomseed(os.time() + tid)
	prefix = string.format("c%d-%d-%d", tid, os.time(), math.random(1000000000))
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	n = n + 1
	wrk.body = string.format('{"email":"%s-%d@create.example","auth_method":"sso"}', prefix, n)
	return wrk.format()
end
