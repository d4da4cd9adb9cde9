-- create-password.lua: POST /api/v1/users with a password, so every request pays one
-- memory-hard hash at the production parameters (scrypt N=2^17, r=8, p=1).
local n = 0
local threads = 0

function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

function init(args)
	math.randomseed(os.time() + tid)
	prefix = string.format("p%d-%d-%d", tid, os.time(), math.random(1000000000))
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	n = n + 1
	wrk.body = string.format(
	    '{"email":"%s-%d@create.example","password":"benchmark passphrase number %d"}',
	    prefix, n, n)
	return wrk.format()
end
