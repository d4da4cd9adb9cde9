-- scim-patch-active.lua: SCIM PATCH of active, as an identity provider disables and enables
-- users, over many users: each thread first lists up to 100 ids of its own (userName sw
-- "user0<thread>…", served by the username index) and then PATCHes them in turn,
-- alternating false and true, so requests do not queue on one row's lock.
local threads = 0
local ids = {}
local n = 0

function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

function init(args)
	prefix = string.format("user0%02d", tid % 100)
	wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
	if #ids == 0 then
		return wrk.format("GET", string.format(
		    "/scim/v2/Users?filter=userName%%20sw%%20%%22%s%%22&count=100&attributes=id", prefix))
	end
	n = n + 1
	local body = string.format('{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],' ..
	    '"Operations":[{"op":"replace","path":"active","value":%s}]}',
	    math.floor(n / #ids) % 2 == 0 and "false" or "true")
	return wrk.format("PATCH", "/scim/v2/Users/" .. ids[n % #ids + 1], nil, body)
end

function response(status, headers, body)
	if #ids == 0 and status == 200 then
		for id in string.gmatch(body, '"id":"([0-9a-f%-]+)"') do
			ids[#ids + 1] = id
		end
	end
end
