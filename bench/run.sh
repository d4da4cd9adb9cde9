#!/usr/bin/env bash
# bench/run.sh: load scenarios against a running Gatehouse stack, each compared
# with a ceiling: nginx, with the same upstream settings as the gatehouse site,
# in front of a FastCGI responder that does no work (bench/noop.c).
#
# Run through `./dev bench`, which builds, starts its own stack in var/bench,
# calls this script with the environment below and tears the stack down after.
#
#   GATEHOUSE_URL        e.g. http://127.0.0.1:18090 (required)
#   GATEHOUSE_ADMIN_KEY  bearer key of a super user (required)
#   GH_ROOT, GH_STATE    repository root, state directory (required)
#   BENCH_WORKERS        noop workers = gatehouse workers = upstream keepalive (8)
#   BENCH_CONNECTIONS    wrk connections (64)
#   BENCH_THREADS        wrk threads (2)
#   BENCH_SECONDS        measured seconds per scenario (10), after
#   BENCH_WARMUP         warm-up seconds (2), not counted
#   BENCH_TIMEOUT        wrk's per-request timeout (2s); slower requests count as
#                        socket errors and are left out of the latency figures
#   BENCH_CEILING_PORT   port of the ceiling nginx (18091)
#   BENCH_ONLY           space-separated scenario names to run (default: all;
#                        the ceiling always runs)
set -euo pipefail

: "${GATEHOUSE_URL:?}" "${GATEHOUSE_ADMIN_KEY:?}" "${GH_ROOT:?}" "${GH_STATE:?}"
WORKERS=${BENCH_WORKERS:-8}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
SECONDS_=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
TIMEOUT=${BENCH_TIMEOUT:-10s}
CEIL_PORT=${BENCH_CEILING_PORT:-18091}
export GATEHOUSE_ADMIN_KEY

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
[ "$THREADS" -le "$CONNS" ] || die "BENCH_THREADS must not exceed BENCH_CONNECTIONS"

CEIL="$GH_STATE/nginx-noop"		# the ceiling nginx's own state: run/ log/ nginx/
SOCK="$GH_STATE/run/noop.sock"
OUT="$GH_STATE/log/bench"		# raw wrk output per scenario
mkdir -p "$CEIL"/{run,log,nginx} "$OUT"
chmod 755 "$CEIL" "$CEIL/run"

NOOP_PID=""
cleanup() {
	local pid i
	if [ -f "$CEIL/run/nginx.pid" ]; then
		pid=$(cat "$CEIL/run/nginx.pid")
		kill -QUIT "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
		rm -f "$CEIL/run/nginx.pid"
	fi
	if [ -n "$NOOP_PID" ]; then
		kill -TERM "$NOOP_PID" 2>/dev/null || true
		wait "$NOOP_PID" 2>/dev/null || true
	fi
	rm -f "$SOCK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the ceiling: noop responder + nginx rendered from the same template ------

say "build noop"
cc -O2 -Wall "$GH_ROOT/bench/noop.c" -o "$GH_STATE/noop" $(pkg-config --cflags --libs fcgi)

say "start noop ($WORKERS workers) on $SOCK"
"$GH_STATE/noop" "$SOCK" "$WORKERS" 0666 >>"$CEIL/log/noop.log" 2>&1 </dev/null &
NOOP_PID=$!

# The ceiling nginx is nginx/dev.conf.in itself, rendered exactly as ./dev renders
# the gatehouse site (keepalive = workers, fastcgi_keep_conn on, one nginx worker),
# so the two differ only in what sits behind the socket.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user www-data;"
sed -e "s|@STATE@|$CEIL|g" -e "s|@PORT@|$CEIL_PORT|g" -e "s|@SOCKET@|$SOCK|g" \
	-e "s|@USER@|$user_line|" -e "s|@KEEPALIVE@|$WORKERS|" \
	-e "s|@FASTCGI_PARAMS@|/etc/nginx/fastcgi_params|" \
	"$GH_ROOT/nginx/dev.conf.in" > "$CEIL/nginx/nginx.conf"
say "start ceiling nginx on 127.0.0.1:$CEIL_PORT"
nginx -e "$CEIL/log/nginx-error.log" -p "$CEIL/nginx" -c "$CEIL/nginx/nginx.conf" ||
	die "ceiling nginx did not start (see $CEIL/log/nginx-error.log)"
CEIL_URL="http://127.0.0.1:$CEIL_PORT"

# Both sites must use the same nginx settings, or the ratio means nothing: the
# two files may differ only in paths, the socket and the port.
gh_conf="$GH_STATE/nginx/nginx.conf"
if [ -f "$gh_conf" ]; then
	if ! diff <(sed -e "s|$GH_STATE/run/gatehouse.sock|SOCKET|g" -e "s|$GH_STATE|STATE|g" \
			-e 's|127\.0\.0\.1:[0-9]*|ADDRESS|' "$gh_conf") \
		<(sed -e "s|$SOCK|SOCKET|g" -e "s|$CEIL|STATE|g" \
			-e 's|127\.0\.0\.1:[0-9]*|ADDRESS|' "$CEIL/nginx/nginx.conf") >&2; then
		die "the ceiling's nginx.conf differs from the gatehouse site's (above)"
	fi
fi

for i in $(seq 1 50); do
	curl -fsS "$CEIL_URL/" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$CEIL_URL/" >/dev/null || die "ceiling does not answer (see $CEIL/log/)"

# --- data for the user-domain scenarios --------------------------------------

USERS=${BENCH_USERS:-1000000}
say "loading $USERS users into org bench (COPY, once; later runs reuse them)"
BENCH_ORG_ID=$("$GH_ROOT/bench/gen-users.sh" bench "$USERS")
ctl="$GH_ROOT/build/gatehousectl"
"$ctl" user create --org bench --email bench-admin@bench.example --level super >/dev/null 2>&1 || true
BENCH_ORG_KEY=$("$ctl" key create --org bench --user bench-admin@bench.example --name bench)
BENCH_UID=$(psql -X -At "$GATEHOUSE_ADMIN_DATABASE_URL" -c \
	"SELECT uid FROM gatehouse.users WHERE org_id = $BENCH_ORG_ID ORDER BY id OFFSET $((USERS / 2)) LIMIT 1")
export BENCH_ORG_ID BENCH_ORG_KEY BENCH_UID

# --- scenarios ---------------------------------------------------------------

# expand TEXT: replaces @NAME@ with the value of environment variable NAME.
expand() {
	local s=$1 out="" name
	while [[ $s =~ ^([^@]*)@([A-Za-z_][A-Za-z0-9_]*)@(.*)$ ]]; do
		name=${BASH_REMATCH[2]}
		[ -n "${!name+x}" ] || die "scenario uses @$name@ but $name is not set"
		out+="${BASH_REMATCH[1]}${!name}"
		s=${BASH_REMATCH[3]}
	done
	printf '%s' "$out$s"
}

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# to_ms "4.50ms" → 4.50 (wrk prints us, ms, s, m)
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.2f", n }'
}

# busy_pct: percentage of all CPUs busy over the next second. The scenarios
# share this machine's cores with everything else running on it; a busy machine
# makes both the numbers and their ratio to the ceiling meaningless.
busy_pct() {
	local a b
	a=$(awk '/^cpu / { print $2+$3+$4+$6+$7+$8, $5 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2+$3+$4+$6+$7+$8, $5 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
		u = y[1] - x[1]; i = y[2] - x[2]; printf "%.0f", ((u + i) > 0 ? 100 * u / (u + i) : 0) }'
}

ROWS=()
CEIL_RPS=""
FLAGGED=0
BUSY=0

run_one() { # run_one NAME URL SCRIPT HEADER…
	local name=$1 url=$2 script=$3; shift 3
	local args=(-t"$THREADS" -c"$CONNS" --timeout "$TIMEOUT" --latency) h code out rps p50 p99 non2xx sockerr note pct
	for h in "$@"; do args+=(-H "$h"); done
	[ -n "$script" ] && args+=(-s "$GH_ROOT/bench/$script")

	# One request first: a scenario that answers 4xx/5xx would measure an error path.
	if [ -z "$script" ]; then
		local curl_h=()
		for h in "$@"; do curl_h+=(-H "$h"); done
		code=$(curl -sS -o /dev/null -w '%{http_code}' "${curl_h[@]}" "$url") || code=000
		[[ $code == 2?? ]] || { say "$name: probe answered $code, skipped"; ROWS+=("$name|-|-|-|-|probe $code"); FLAGGED=1; return; }
	fi

	local busy
	busy=$(busy_pct)
	say "$name: warm-up ${WARMUP}s, measure ${SECONDS_}s ($url)"
	wrk "${args[@]}" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
	out=$(wrk "${args[@]}" -d"${SECONDS_}s" "$url" 2>&1) || { printf '%s\n' "$out" >&2; die "$name: wrk failed"; }
	printf '%s\n' "$out" > "$OUT/$name.txt"

	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	sockerr=$(sed -n 's/.*Socket errors: //p' <<<"$out")
	[ -n "$rps" ] || { printf '%s\n' "$out" >&2; die "$name: no Requests/sec in wrk output"; }

	note=""
	if [ "$busy" -gt 10 ]; then note="machine ${busy}% busy before the run"; BUSY=1; fi
	if [ -n "$non2xx" ] && [ "$non2xx" != 0 ]; then note="${note:+$note; }NON-2xx: $non2xx"; FLAGGED=1; fi
	if [ -n "$sockerr" ]; then note="${note:+$note; }socket errors: $sockerr"; FLAGGED=1; fi
	[ -n "$CEIL_RPS" ] || CEIL_RPS=$rps
	pct=$(awk -v a="$rps" -v b="$CEIL_RPS" 'BEGIN { printf "%.0f%%", (b > 0 ? 100 * a / b : 0) }')
	ROWS+=("$name|$rps|$(to_ms "$p50")ms|$(to_ms "$p99")ms|$pct|$note")
}

if [ "$CONNS" -gt "$WORKERS" ]; then
	say "note: $CONNS connections > $WORKERS workers: with upstream keep-alive nginx opens more"
	say "      connections than there are workers and requests on the extra ones wait in the"
	say "      socket backlog (DESIGN.md, Shape): expect a tail of up to seconds and wrk timeouts"
fi

only=" ${BENCH_ONLY:-} "
while IFS='|' read -r name site path headers script; do
	name=$(trim "$name")
	[ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
	site=$(trim "$site"); path=$(expand "$(trim "$path")")
	headers=$(trim "$headers"); script=$(trim "${script:-}")
	case $site in
	ceiling)   base=$CEIL_URL ;;
	gatehouse) base=$GATEHOUSE_URL ;;
	*) die "scenario $name: unknown site '$site'" ;;
	esac
	if [ -n "${BENCH_ONLY:-}" ] && [ "$site" != ceiling ] && [[ $only != *" $name "* ]]; then
		continue
	fi
	hdrs=()
	if [ -n "$headers" ]; then
		IFS=';' read -r -a parts <<<"$headers"
		for h in "${parts[@]}"; do
			h=$(trim "$h")
			[ -n "$h" ] || continue
			h=$(expand "$h")
			hdrs+=("$h")
		done
	fi
	[ -n "$CEIL_RPS" ] || [ "$site" = ceiling ] || die "the first scenario must be the ceiling"
	run_one "$name" "$base$path" "$script" ${hdrs[@]+"${hdrs[@]}"}
done < "$GH_ROOT/bench/scenarios"

# --- report ------------------------------------------------------------------

printf '\n%s cores, %s workers, wrk -t%s -c%s -d%ss --timeout %s --latency (after %ss warm-up)\n' \
	"$(nproc)" "$WORKERS" "$THREADS" "$CONNS" "$SECONDS_" "$TIMEOUT" "$WARMUP"
printf 'p50/p99 are wrk'"'"'s, corrected for coordinated omission; raw output in %s\n\n' "$OUT"
printf '%-18s %9s %9s %9s  %-13s %s\n' scenario req/s p50 p99 '% of ceiling' ''
for row in "${ROWS[@]}"; do
	IFS='|' read -r name rps p50 p99 pct note <<<"$row"
	[ "$name" = ceiling ] && name="ceiling (noop)"
	printf '%-18s %9s %9s %9s  %-13s %s\n' "$name" "$rps" "$p50" "$p99" "$pct" "$note"
done

# The list_dept page's query straight in psql, as the service role under
# row-level security. The statement is the server's own: one plain-CGI run at
# debug level logs the SQL it builds (names and $n only), which psql then
# prepares and executes with the same values, as the worker does.
list_sql=$(GATEHOUSE_LOG_LEVEL=debug GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	REQUEST_URI="/api/v1/users?department=eng&limit=100" HTTP_AUTHORIZATION="Bearer $BENCH_ORG_KEY" \
	"$GH_ROOT/build/gatehouse" 2>&1 >/dev/null </dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        msg = json.loads(line).get("msg", "")
    except ValueError:
        continue
    if msg.startswith("dynamic query: "):
        print(msg[len("dynamic query: "):])
        break')
[ -n "$list_sql" ] || die "could not capture the list query from gatehouse"
sql_times=$(for i in 1 2 3 4 5 6 7; do
	psql -X -At "$GATEHOUSE_DATABASE_URL" <<SQL 2>/dev/null | sed -n 's/^\(Planning\|Execution\) Time: \([0-9.]*\) ms$/\1 \2/p'
BEGIN;
SET LOCAL gatehouse.org_id = '$BENCH_ORG_ID';
PREPARE q AS $list_sql;
EXPLAIN (ANALYZE) EXECUTE q('eng', 101, 0);
ROLLBACK;
SQL
done)
median() { grep "^$1 " | awk '{ print $2 }' | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] }'; }
printf '\nlist_dept in psql, the same statement (median of 7): execution %s ms, planning %s ms\n' \
	"$(printf '%s\n' "$sql_times" | median Execution)" "$(printf '%s\n' "$sql_times" | median Planning)"
printf 'users in org bench: %s\n' "$USERS"

# --- a page through the API against its SQL alone (issue 11) -------------------
# One request at a time: the list_dept page through nginx (wrk, one connection,
# median latency) and its statement prepared in one psql session and executed
# 50 times (\timing, median; the rows reach psql, as they reach the worker).
# First the workers finish what create_pw left them (up to a minute).
page=("$GATEHOUSE_URL/api/v1/users?department=eng&limit=100" -H "Authorization: Bearer $BENCH_ORG_KEY")
for i in $(seq 1 60); do
	t=$(curl -s -o /dev/null -w '%{time_total}' "${page[@]}") || t=9
	awk -v t="$t" 'BEGIN { exit !(t < 0.1) }' && break
	sleep 1
done
wrk -t1 -c1 -d"${WARMUP}s" "${page[@]}" >/dev/null 2>&1 || true
page_ms=$(to_ms "$(wrk -t1 -c1 -d5s --latency "${page[@]}" | awk '$1 == "50%" { print $2 }')")
psql_ms=$({ printf 'BEGIN;\nSET LOCAL gatehouse.org_id = %s;\nPREPARE q AS %s;\n\\timing on\n' \
		"$BENCH_ORG_ID" "$list_sql"
	for i in $(seq 1 50); do echo "EXECUTE q('eng', 101, 0);"; done
	printf '\\timing off\nROLLBACK;\n'; } |
	psql -X -At -o /dev/null "$GATEHOUSE_DATABASE_URL" 2>/dev/null |
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n |
	awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] }')
printf 'list_dept one at a time: %s ms through the API, %s ms in psql (%s)\n' "$page_ms" "$psql_ms" \
	"$(awk -v a="$page_ms" -v b="$psql_ms" 'BEGIN { if (b > 0) printf "%.2f x", a / b; else print "-" }')"

if [ $BUSY -ne 0 ]; then
	echo
	echo "bench: other processes were using the CPUs: compare runs only on an idle machine"
fi
if [ $FLAGGED -ne 0 ]; then
	echo
	echo "bench: some responses were not 2xx or had socket errors; those numbers are not comparable"
	exit 1
fi
