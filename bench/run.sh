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
#   BENCH_WORKERS        noop workers = gatehouse workers (2 per core, gatehouse's default)
#   BENCH_CONNECTIONS    wrk connections (64)
#   BENCH_THREADS        wrk threads (2)
#   BENCH_SECONDS        measured seconds per scenario (10), after
#   BENCH_WARMUP         warm-up seconds (2), not counted
#   BENCH_TIMEOUT        wrk's per-request timeout (2s); slower requests count as
#                        socket errors and are left out of the latency figures
#   BENCH_CEILING_PORT   port of the ceiling nginx (18091)
#   BENCH_ONLY           space-separated scenario names to run (default: all;
#                        the ceiling always runs); createusers is bench/createusers.sh,
#                        signin bench/signin.py
set -euo pipefail

: "${GATEHOUSE_URL:?}" "${GATEHOUSE_ADMIN_KEY:?}" "${GH_ROOT:?}" "${GH_STATE:?}"
WORKERS=${BENCH_WORKERS:-$((2 * $(nproc)))}
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
cc -O2 -Wall -I"$GH_ROOT/include" "$GH_ROOT/bench/noop.c" "$GH_ROOT/src/http/connset.c" \
	-o "$GH_STATE/noop" $(pkg-config --cflags --libs fcgi libcrypto)

say "start noop ($WORKERS workers) on $SOCK"
"$GH_STATE/noop" "$SOCK" "$WORKERS" 0666 >>"$CEIL/log/noop.log" 2>&1 </dev/null &
NOOP_PID=$!

# The ceiling nginx is nginx/dev.conf.in itself, rendered exactly as ./dev renders
# the gatehouse site (same keepalive, fastcgi_keep_conn on, one nginx worker),
# so the two differ only in what sits behind the socket.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user www-data;"
sed -e "s|@STATE@|$CEIL|g" -e "s|@PORT@|$CEIL_PORT|g" -e "s|@SOCKET@|$SOCK|g" \
	-e "s|@USER@|$user_line|" -e "s|@FASTCGI_PARAMS@|/etc/nginx/fastcgi_params|" \
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

# stolen_ms: milliseconds the hypervisor has kept this machine's CPUs from
# running since boot ("steal" in /proc/stat, counted in ticks of 1/CLK_TCK s).
# On a virtual machine that shares its host, a vCPU the host does not run stalls
# whatever was on it for milliseconds; at one connection, where p50 is ~0.1 ms,
# a few such stalls are the whole p99 (see "One connection" in README.md).
HZ=$(getconf CLK_TCK)
# printf %d: mawk prints large numbers in exponent form.
stolen_ms() { awk -v hz="$HZ" '/^cpu / { printf "%d\n", $9 * 1000 / hz }' /proc/stat; }

FLAGGED=0
BUSY=0

# Scenarios by name, in file order: NAMES, and SITE/URL/HDRS/SCRIPT per name
# (HDRS: the expanded headers, one per line).
NAMES=()
declare -A SITE URL HDRS SCRIPT
while IFS='|' read -r name site path headers script; do
	name=$(trim "$name")
	[ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
	site=$(trim "$site")
	case $site in
	ceiling)   base=$CEIL_URL ;;
	gatehouse) base=$GATEHOUSE_URL ;;
	*) die "scenario $name: unknown site '$site'" ;;
	esac
	[ ${#NAMES[@]} -gt 0 ] || [ "$site" = ceiling ] || die "the first scenario must be the ceiling"
	NAMES+=("$name")
	SITE[$name]=$site
	URL[$name]=$base$(expand "$(trim "$path")")
	SCRIPT[$name]=$(trim "${script:-}")
	HDRS[$name]=""
	IFS=';' read -r -a parts <<<"$(trim "$headers")"
	for h in ${parts[@]+"${parts[@]}"}; do
		h=$(trim "$h")
		[ -n "$h" ] && HDRS[$name]+="$(expand "$h")"$'\n'
	done
done < "$GH_ROOT/bench/scenarios"
CEILING=${NAMES[0]}

# wrk_args NAME CONNS: wrk's options for scenario NAME at CONNS connections, in ARGS.
wrk_args() {
	local name=$1 c=$2 h t=$THREADS
	[ "$t" -le "$c" ] || t=$c
	ARGS=(-t"$t" -c"$c" --timeout "$TIMEOUT" --latency)
	while IFS= read -r h; do
		[ -n "$h" ] && ARGS+=(-H "$h")
	done <<<"${HDRS[$name]}"
	[ -n "${SCRIPT[$name]}" ] && ARGS+=(-s "$GH_ROOT/bench/${SCRIPT[$name]}")
	return 0
}

# probe NAME: one request first, for plain GETs: a scenario that answers
# 4xx/5xx would measure an error path. Prints the status when it is not 2xx.
probe() {
	local name=$1 h code curl_h=()
	[ -z "${SCRIPT[$name]}" ] || return 0
	while IFS= read -r h; do
		[ -n "$h" ] && curl_h+=(-H "$h")
	done <<<"${HDRS[$name]}"
	code=$(curl -sS -o /dev/null -w '%{http_code}' ${curl_h[@]+"${curl_h[@]}"} "${URL[$name]}") || code=000
	[[ $code == 2?? ]] || echo "$code"
}

# settle: waits (up to 2 minutes) until gatehouse answers /healthz at once. A
# scenario that ran past wrk's timeout (create_pw at many connections) leaves
# requests queued behind the workers, and the next scenario would measure them.
settle() {
	local i t
	for i in $(seq 1 120); do
		t=$(curl -sS -o /dev/null -m 2 -w '%{http_code} %{time_total}' "$GATEHOUSE_URL/healthz" 2>/dev/null) || t=""
		[[ $t == 200\ 0.0* ]] && return 0
		sleep 1
	done
	say "gatehouse still busy after 2 minutes"
}

# measure NAME CONNS FILE: warm-up, then one measured wrk run saved in FILE.
# Sets R_RPS, R_P50, R_P99, R_MAX, R_STOLEN (ms) and R_NOTE (what makes the row
# untrustworthy).
measure() {
	local name=$1 c=$2 file=$3 out busy non2xx sockerr stolen
	wrk_args "$name" "$c"
	busy=$(busy_pct)
	say "$name at $c connections: warm-up ${WARMUP}s, measure ${SECONDS_}s (${URL[$name]})"
	wrk "${ARGS[@]}" -d"${WARMUP}s" "${URL[$name]}" >/dev/null 2>&1 || true
	stolen=$(stolen_ms)
	out=$(wrk "${ARGS[@]}" -d"${SECONDS_}s" "${URL[$name]}" 2>&1) ||
		{ printf '%s\n' "$out" >&2; die "$name: wrk failed"; }
	R_STOLEN=$(( $(stolen_ms) - stolen ))
	printf '%s\n' "$out" > "$file"

	R_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
	[ -n "$R_RPS" ] || { printf '%s\n' "$out" >&2; die "$name: no Requests/sec in wrk output"; }
	R_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	R_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	R_MAX=$(to_ms "$(awk '$1 == "Latency" { print $4 }' <<<"$out")")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	sockerr=$(sed -n 's/.*Socket errors: //p' <<<"$out")
	R_NOTE=""
	if [ "$busy" -gt 10 ]; then R_NOTE="machine ${busy}% busy before the run"; BUSY=1; fi
	if [ -n "$non2xx" ] && [ "$non2xx" != 0 ]; then R_NOTE="${R_NOTE:+$R_NOTE; }NON-2xx: $non2xx"; FLAGGED=1; fi
	if [ -n "$sockerr" ]; then R_NOTE="${R_NOTE:+$R_NOTE; }socket errors: $sockerr"; FLAGGED=1; fi
	return 0
}

# row NAME CONNS FILE: settles, probes, measures, and sets ROW to the row of the
# report. The first scenario measured since CEIL_RPS was emptied is the 100%.
# When the probe fails the row says so and the run is flagged.
row() {
	local code pct=-
	settle
	code=$(probe "$1")
	if [ -n "$code" ]; then
		say "$1: probe answered $code, skipped"
		R_RPS=- R_P50=- R_P99=- R_MAX=- R_STOLEN=- R_NOTE="probe $code"
		FLAGGED=1
	else
		measure "$@"
		[ -n "$CEIL_RPS" ] || CEIL_RPS=$R_RPS
		pct=$(awk -v a="$R_RPS" -v b="$CEIL_RPS" 'BEGIN { printf "%.0f%%", (b > 0 ? 100 * a / b : 0) }')
	fi
	ROW="$2|$1|$R_RPS|$R_P50|$R_P99|$R_MAX|$R_STOLEN|$pct|$R_NOTE"
}

# --- the table: every scenario at BENCH_CONNECTIONS -------------------------

ROWS=()
only=" ${BENCH_ONLY:-} "
CEIL_RPS=""
for name in "${NAMES[@]}"; do
	if [ -n "${BENCH_ONLY:-}" ] && [ "${SITE[$name]}" != ceiling ] && [[ $only != *" $name "* ]]; then
		continue
	fi
	row "$name" "$CONNS" "$OUT/$name.txt"
	ROWS+=("$ROW")
done

# --- the sweep: the same scenarios at 1, W, 4W and 8W connections ------------

SWEEP=${BENCH_SWEEP-me user_get create}
SWEEP_CONNS=${BENCH_SWEEP_CONNECTIONS:-1 $WORKERS $((4 * WORKERS)) $((8 * WORKERS))}
SWEEP_ROWS=()
if [ -n "$SWEEP" ]; then
	for name in $SWEEP; do
		[ -n "${SITE[$name]+x}" ] || die "BENCH_SWEEP: no scenario $name"
	done
	for c in $SWEEP_CONNS; do
		CEIL_RPS=""
		for name in "$CEILING" $SWEEP; do
			row "$name" "$c" "$OUT/sweep-$name-c$c.txt"
			SWEEP_ROWS+=("$ROW")
		done
	done
fi

# --- memory: worker RSS across a long mixed run ------------------------------

# workers: the pids of the gatehouse master's children.
workers() { pgrep -P "$(cat "$GH_STATE/run/gatehouse.pid")" | sort -n | tr '\n' ' '; }
# rss PID…: each one's resident set in KiB ("-" when it is gone).
rss() {
	local p
	for p in "$@"; do
		awk '/^VmRSS:/ { print $2; f = 1 } END { if (!f) print "-" }' "/proc/$p/status" 2>/dev/null || echo -
	done | tr '\n' ' '
}

MIXED=${BENCH_MIXED_REQUESTS:-1000000}
CHUNK=${BENCH_MIXED_CHUNK:-30}
MIXED_LINES=()
if [ "$MIXED" -gt 0 ]; then
	settle
	pids=$(workers)
	# shellcheck disable=SC2086
	MIXED_LINES+=("requests 0: RSS KiB $(rss $pids)")
	total=0 errors=0 non2xx=0 started=$(date +%s)
	: > "$OUT/mixed.txt"
	while [ "$total" -lt "$MIXED" ]; do
		say "mixed: $total of $MIXED requests"
		out=$(wrk -t"$THREADS" -c"$CONNS" --timeout "$TIMEOUT" -s "$GH_ROOT/bench/mixed.lua" \
			-d"${CHUNK}s" "$GATEHOUSE_URL/" 2>&1) || { printf '%s\n' "$out" >&2; die "mixed: wrk failed"; }
		printf '%s\n' "$out" >> "$OUT/mixed.txt"
		n=$(awk '/requests in/ { print $1 }' <<<"$out")
		total=$((total + n))
		n=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
		non2xx=$((non2xx + ${n:-0}))
		sed -n 's/.*Socket errors: //p' <<<"$out" | grep -q . && errors=$((errors + 1))
		# shellcheck disable=SC2086
		MIXED_LINES+=("requests $total: RSS KiB $(rss $pids)")
	done
	mixed_secs=$(( $(date +%s) - started ))
	now=$(workers)
	[ "$now" = "$pids" ] || MIXED_LINES+=("workers changed during the run: $pids -> $now")
	[ "$non2xx" -eq 0 ] || { MIXED_LINES+=("NON-2xx: $non2xx"); FLAGGED=1; }
	[ "$errors" -eq 0 ] || { MIXED_LINES+=("socket errors in $errors of the wrk runs (see $OUT/mixed.txt)"); FLAGGED=1; }
fi

# --- report ------------------------------------------------------------------

printf '\n%s cores, %s workers, wrk -t%s -c%s -d%ss --timeout %s --latency (after %ss warm-up)\n' \
	"$(nproc)" "$WORKERS" "$THREADS" "$CONNS" "$SECONDS_" "$TIMEOUT" "$WARMUP"
printf 'p50/p99 are wrk'"'"'s, corrected for coordinated omission; latencies and stolen (the time the host did not run this machine, /proc/stat) in ms; raw output in %s\n\n' "$OUT"
printf '%-18s %9s %9s %9s %9s %7s  %-13s %s\n' scenario req/s p50 p99 max stolen '% of ceiling' ''
for r in "${ROWS[@]}"; do
	IFS='|' read -r _ name rps p50 p99 max stolen pct note <<<"$r"
	[ "$name" = "$CEILING" ] && name="$name (noop)"
	printf '%-18s %9s %9s %9s %9s %7s  %-13s %s\n' "$name" "$rps" "$p50" "$p99" "$max" "$stolen" "$pct" "$note"
done

if [ ${#SWEEP_ROWS[@]} -gt 0 ]; then
	printf '\nsweep: %s workers, %ss per run, latencies in ms, %% of the ceiling at the same connections\n\n' \
		"$WORKERS" "$SECONDS_"
	printf '%5s %-10s %9s %9s %9s %9s %7s  %-12s %s\n' conns scenario req/s p50 p99 max stolen '% of ceiling' ''
	for r in "${SWEEP_ROWS[@]}"; do
		IFS='|' read -r c name rps p50 p99 max stolen pct note <<<"$r"
		printf '%5s %-10s %9s %9s %9s %9s %7s  %-12s %s\n' "$c" "$name" "$rps" "$p50" "$p99" "$max" "$stolen" "$pct" "$note"
	done
fi

if [ ${#MIXED_LINES[@]} -gt 0 ]; then
	printf '\nmixed run (bench/mixed.lua) at %s connections, %s s: worker RSS, pids %s\n' \
		"$CONNS" "$mixed_secs" "$pids"
	printf '  %s\n' "${MIXED_LINES[@]}"
fi

# The list_dept page's statements straight in psql, as the service role under
# row-level security: the server's own (bench/page-statements.sh), prepared and
# executed with the same value, as the worker does.
list_sqls=$("$GH_ROOT/bench/page-statements.sh" "/api/v1/users?department=eng&limit=100" \
	"Bearer $BENCH_ORG_KEY")
list_sql=$(awk -F'\t' '$1 == "d" { print $2; exit }' <<<"$list_sqls")
records_sql=$(awk -F'\t' '$1 == "l" { print $2; exit }' <<<"$list_sqls")
[ -n "$list_sql" ] && [ -n "$records_sql" ] || die "could not capture the list's statements from gatehouse"
sql_times=$(for i in 1 2 3 4 5 6 7; do
	psql -X -At "$GATEHOUSE_DATABASE_URL" <<SQL 2>/dev/null | sed -n 's/^\(Planning\|Execution\) Time: \([0-9.]*\) ms$/\1 \2/p' |
BEGIN;
SET LOCAL gatehouse.org_id = '$BENCH_ORG_ID';
PREPARE q AS $list_sql;
PREPARE r AS $records_sql;
EXPLAIN (ANALYZE) EXECUTE q('eng');
EXPLAIN (ANALYZE) EXECUTE r;
ROLLBACK;
SQL
	awk '{ t[$1] += $2 } END { for (k in t) print k, t[k] }'
done)
median() { grep "^$1 " | awk '{ print $2 }' | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] }'; }
printf '\nlist_dept in psql, the same two statements (median of 7): execution %s ms, planning %s ms\n' \
	"$(printf '%s\n' "$sql_times" | median Execution)" "$(printf '%s\n' "$sql_times" | median Planning)"
printf 'users in org bench: %s\n' "$USERS"

# Searches at this size, each beside its own SQL in psql, and deep keyset pages (bench/search.sh).
if [ -z "${BENCH_ONLY:-}" ] || [[ $only == *" search "* ]]; then
	"$GH_ROOT/bench/search.sh" || FLAGGED=1
fi
# CreateUsers beside the KDF alone: a scenario of its own file (bench/createusers.sh).
. "$GH_ROOT/bench/createusers.sh"
createusers_scenario

# Sign-in through the pages (bench/signin.py) beside the KDF alone on every core.
case " ${BENCH_ONLY:-signin} " in
*" signin "*)
	say "signin: build kdf"
	cc -O2 -Wall -I "$GH_ROOT/include" "$GH_ROOT/bench/kdf.c" "$GH_ROOT/build/libgatehouse.a" \
		$(pkg-config --libs libcrypto) -lpthread -o "$GH_STATE/kdf-signin"
	read -r _ kdf_n kdf_s kdf_algo kdf_cores kdf_cpu \
		<<<"$(env -u GATEHOUSE_PASSWORD_COST "$GH_STATE/kdf-signin" $((4 * $(nproc))))"
	printf '\nsign-in; the KDF alone: %s %s hashes on %s cores in %s s (%s s of CPU a hash)\n' \
		"$kdf_n" "$kdf_algo" "$kdf_cores" "$kdf_s" \
		"$(awk -v c="$kdf_cpu" -v n="$kdf_n" 'BEGIN { printf "%.3f", c / n }')"
	"$GH_ROOT/bench/signin.py" || FLAGGED=1
	;;
esac

if [ $BUSY -ne 0 ]; then
	echo
	echo "bench: other processes were using the CPUs: compare runs only on an idle machine"
fi
if [ $FLAGGED -ne 0 ]; then
	echo
	echo "bench: some responses were not 2xx or had socket errors; those numbers are not comparable"
	exit 1
fi
