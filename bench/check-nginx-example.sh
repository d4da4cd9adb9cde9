#!/usr/bin/env bash
# bench/check-nginx-example.sh: checks nginx/gatehouse.conf, the production site
# example, against the nginx on this machine: `nginx -t` with throwaway
# self-signed certificates, then a live run on loopback ports (18480 for :80,
# 18443 for :443) in front of bench/noop.c: redirect, TLS versions, HTTP/2, HSTS,
# body limit, the auth rate limit and the JSON access log. Root is not needed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(mktemp -d /tmp/gatehouse-nginx.XXXXXX)
chmod 755 "$T"		# nginx workers (nobody) must reach the socket
NOOP_PID=""
cleanup() {
	[ -f "$T/nginx.pid" ] && kill -QUIT "$(cat "$T/nginx.pid")" 2>/dev/null || true
	if [ -n "$NOOP_PID" ]; then kill -TERM "$NOOP_PID" 2>/dev/null || true; wait "$NOOP_PID" 2>/dev/null || true; fi
	sleep 0.2
	rm -rf "$T"
}
trap cleanup EXIT

fails=0
check() { # check NAME WANT GOT
	if [ "$2" = "$3" ]; then printf 'ok    %s\n' "$1"; else printf 'FAIL  %s: want %s, got %s\n' "$1" "$2" "$3"; fails=$((fails + 1)); fi
}

mkdir -p "$T"/{certs,logs,tmp}
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=gatehouse.example.com \
	-keyout "$T/certs/privkey.pem" -out "$T/certs/fullchain.pem" 2>/dev/null
cp /etc/nginx/fastcgi_params "$T/"
temps="client_body_temp_path $T/tmp/body; fastcgi_temp_path $T/tmp/fcgi; proxy_temp_path $T/tmp/proxy; uwsgi_temp_path $T/tmp/uwsgi; scgi_temp_path $T/tmp/scgi;"

# 1. The file as shipped, only the certificate and log paths moved.
sed -e "s|/etc/letsencrypt/live/gatehouse.example.com|$T/certs|g" -e "s|/var/log/nginx|$T/logs|g" \
	"$ROOT/nginx/gatehouse.conf" > "$T/gatehouse.conf"
printf 'pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents {}\nhttp {\n\t%s\n\tinclude gatehouse.conf;\n}\n' \
	"$T" "$T" "$temps" > "$T/nginx.conf"
echo "nginx -t -p $T -c $T/nginx.conf"
rc=0; nginx -t -q -p "$T" -c "$T/nginx.conf" || rc=$?
check "nginx -t" 0 $rc
[ $rc -eq 0 ] || exit 1

# 2. Live, on loopback ports, with noop behind the socket.
cc -O2 -I"$ROOT/include" "$ROOT/bench/noop.c" "$ROOT/src/http/connset.c" -o "$T/noop" \
	$(pkg-config --cflags --libs fcgi libcrypto)
"$T/noop" "$T/noop.sock" 2 0666 </dev/null >/dev/null 2>&1 &
NOOP_PID=$!
sed -e "s|/run/gatehouse/gatehouse.sock|$T/noop.sock|" \
	-e 's|listen 80;|listen 127.0.0.1:18480;|' -e 's|listen \[::\]:80;||' \
	-e 's|listen 443 ssl http2;|listen 127.0.0.1:18443 ssl http2;|' -e 's|listen \[::\]:443 ssl http2;||' \
	-e 's|https://$host|https://$host:18443|' -i "$T/gatehouse.conf"
nginx -p "$T" -c "$T/nginx.conf"
for i in $(seq 1 30); do [ -S "$T/noop.sock" ] && break; sleep 0.1; done

H=https://127.0.0.1:18443
check "http redirects to https" "301 https://127.0.0.1:18443/a?b=1" \
	"$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' 'http://127.0.0.1:18480/a?b=1')"
check "https + http/2" "200 2" "$(curl -sk -o /dev/null -w '%{http_code} %{http_version}' $H/healthz)"
check "HSTS" "max-age=63072000; includeSubDomains" \
	"$(curl -sk -D - -o /dev/null $H/healthz | sed -n 's/^strict-transport-security: //Ip' | tr -d '\r')"
check "no version in Server" "nginx" "$(curl -sk -D - -o /dev/null $H/healthz | sed -n 's/^server: //Ip' | tr -d '\r')"
# tls VERSION_FLAG: does the server complete a handshake? The client allows
# every protocol (SECLEVEL=0), so a refusal is the server's.
tls() {
	openssl s_client -connect 127.0.0.1:18443 "$1" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >/dev/null 2>&1 &&
		echo accepted || echo refused
}
check "TLS 1.0 refused" refused "$(tls -tls1)"
check "TLS 1.1 refused" refused "$(tls -tls1_1)"
check "TLS 1.2 accepted" accepted "$(tls -tls1_2)"
check "TLS 1.3 accepted" accepted "$(tls -tls1_3)"
check "2 MB body refused" 413 "$(head -c 2000000 /dev/zero | curl -sk -o /dev/null -w '%{http_code}' --data-binary @- $H/api/v1/x)"
codes=$(for i in $(seq 1 8); do curl -sk -o /dev/null -w '%{http_code} ' $H/login; done)
check "login rate limit (1 + burst 5, then 429)" "200 200 200 200 200 200 429 429 " "$codes"
# The /login requests above used up this address's allowance: these are 429s, which
# nginx logs with the request line. Neither token may reach the error log.
reset=$(for i in 1 2; do curl -sk -o /dev/null -w '%{http_code} ' "$H/reset?token=RESETSECRET$i"; done)
check "reset links rate-limited too" "429 429 " "$reset"
canary=$(curl -sk -o /dev/null -w '%{http_code}\n' $(for i in $(seq 1 200); do
	printf '%s ' "$H/canary/api/v1/ping?auth_token=CANARYSECRET"; done) | grep -c '^429$' || true)
check "canary rate limit reached" yes "$([ "$canary" -gt 0 ] && echo yes || echo no)"
sleep 0.2
check "no token in the error logs" 0 "$(cat "$T"/logs/*error.log | grep -c 'RESETSECRET\|CANARYSECRET' || true)"
check "JSON access log, no query string" "/a" \
	"$(curl -sk -o /dev/null "$H/a?token=secret"; sleep 0.2; tail -n 1 "$T/logs/gatehouse.access.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uri"])')"

[ $fails -eq 0 ] && echo "nginx example: all checks passed" || { echo "nginx example: $fails failed"; exit 1; }
