-- wrk script: each request replaces project `p1` (If-Match: *) with a small document.
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["If-Match"] = "*"
local n = 0
request = function()
  n = n + 1
  local body = '{"name":"Load","body":{"n":' .. n .. ',"cells":[1,2,3,4,5,6,7,8]}}'
  return wrk.format(nil, nil, nil, body)
end
