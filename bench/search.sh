#!/usr/bin/env bash
# bench/search.sh: searches at BENCH_USERS users in one org, each beside the
# same SQL run directly in psql in the same run; and the native list's page 1
# against page 5,000. Called by bench/run.sh once the org is loaded; runs on
# its own against any stack that has the org (see bench/README.md).
#
#   GATEHOUSE_URL, GATEHOUSE_DATABASE_URL, GH_ROOT   as bench/run.sh has them
#   BENCH_ORG_ID, BENCH_ORG_KEY   the loaded org and a super's key in it
#   BENCH_WORKERS        the stack's workers: the second concurrency measured (2 per core)
#   BENCH_SECONDS, BENCH_WARMUP   measured and warm-up seconds per run (10, 2)
#   BENCH_SEARCH_ONLY    space-separated names of the searches to run (all)
#   GH_STATE             the stack's service directory (run/, pg/data/, log/), for
#                        the CPU its processes use and for wrk's raw output
#
# For each search: wrk at one connection (p50, p99, req/s) and at BENCH_WORKERS
# connections; the statements gatehouse ran for it (captured from one plain-CGI
# run at debug level: names and $n only) prepared afresh and executed in psql as
# the service role under row-level security, so planning is included, timed by
# psql (\timing), median of 7 rounds after one to warm the session; and the
# ratio of the end-to-end p50 at one connection to that. Prints one table; exits 1 when
# a search answered anything but 200.
set -euo pipefail

: "${GATEHOUSE_URL:?}" "${GATEHOUSE_DATABASE_URL:?}" "${GH_ROOT:?}" "${BENCH_ORG_ID:?}" "${BENCH_ORG_KEY:?}"
WORKERS=${BENCH_WORKERS:-$((2 * $(nproc)))}
SECONDS_=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench/search: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"

# Secureframe's header is "<key_id> <secret>"; the native API takes the key as a bearer token.
[[ $BENCH_ORG_KEY =~ ^(gh_[0-9]+k[0-9]+)_(.+)$ ]] || die "BENCH_ORG_KEY is not a gatehouse key"
SF_AUTH="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
NATIVE_AUTH="Bearer $BENCH_ORG_KEY"

# The cursor of the position after user id in the native list by id:
# base64url of "id\na\n<id>\n<id>" without padding (src/core/cursor.c).
cursor_after() {
	printf 'id\na\n%s\n%s' "$1" "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# The id that ends native page N of 100 (N >= 1), for a cursor to page N + 1.
page_end_id() {
	psql -X -q -At "$GATEHOUSE_DATABASE_URL" <<SQL | tail -n 1
BEGIN;
SET LOCAL gatehouse.org_id = '$BENCH_ORG_ID';
SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org() AND status <> 'removed'
ORDER BY id OFFSET $(( $1 * 100 - 1 )) LIMIT 1;
ROLLBACK;
SQL
}

urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# name | path and query | auth (sf or native) | the values gatehouse binds to the
# filtered statement, in order (psql runs it with them; @ID@ is the cursor's id) | what
SEARCHES=(
	"sf_exact|/secureframe/users?q=$(urlq 'last_name:Ashford')|sf|'Ashford'|a surname (1 in 1,000)"
	"sf_prefix|/secureframe/users?q=$(urlq 'last_name:Ashf*')|sf|'Ashf','Ashf'|a surname's first 4 letters (1 in 1,000)"
	"sf_suffix|/secureframe/users?q=$(urlq 'email:*@corp07.example')|sf|'@corp07.example','@corp07.example'|a mail domain (1 in 50)"
	"sf_substring|/secureframe/users?q=$(urlq 'name:*ada\ ash*')|sf|'%ada ash%'|part of a full name, trigram (1 in 4,000)"
	"sf_boolean|/secureframe/users?q=$(urlq 'last_name:Ashford AND NOT (active:false OR personnel_status:offboarded)')|sf|'Ashford','false','offboarded'|AND, OR and NOT over three fields"
	"sf_department|/secureframe/users?department_id=eng-0|sf|'eng-0'|a department id (1 in 20)"
	"sf_prefix3|/secureframe/users?q=$(urlq 'last_name:Ash*')|sf|'Ash','Ash'|denser: 3 letters (1 in 40)"
	"sf_substring1k|/secureframe/users?q=$(urlq 'name:*ashfor*')|sf|'%ashfor%'|denser: trigram, 1 in 1,000"
	"sf_boolean_or|/secureframe/users?q=$(urlq '(last_name:Ashford OR last_name:Ashby) AND NOT active:false')|sf|'Ashford','Ashby','false'|denser: an OR of two surnames"
	"native_page1|/api/v1/users?limit=100|native||the first page by id"
	"native_page5000|/api/v1/users?limit=100&cursor=@CURSOR@|native|'@ID@'|page 5,000 by keyset cursor"
)

STATE=${GH_STATE:-/tmp}
OUT=$STATE/log/bench
mkdir -p "$OUT"
FAILED=0
ROWS=()

# psql_ms URI AUTH VALUES: median of 7 rounds, in psql, of the request's statements
# prepared and executed with its values (planning included), as psql's \timing
# reports them.
psql_ms() {
	local uri=$1 auth=$2 args=$3 p1 p2 stm i want
	stm=$("$GH_ROOT/bench/page-statements.sh" "$uri" "$auth")
	p1=$(awk -F'\t' '$1 == "d" { print $2; exit }' <<<"$stm")
	p2=$(awk -F'\t' '$1 == "l" { print $2; exit }' <<<"$stm")
	[ -n "$p1" ] && [ -n "$p2" ] || die "no statements logged for $uri"
	# The values must be as many as the statement's placeholders, or the table is stale.
	want=$(grep -o '\$[0-9]*' <<<"$p1" | sort -u | wc -l)
	[ "$want" -eq "$(awk -F, '{ print NF }' <<<"$args")" ] ||
		die "$uri: its statement takes $want values, the table gives $args"
	args=${args//@ID@/$CUR_ID}
	# One session, warmed by a first round that is not counted (a new backend
	# first fills its catalog caches, which is not this query's cost); then each
	# round prepares afresh, so every EXECUTE plans (a custom plan) as well as runs.
	{
		printf 'BEGIN;\nSET LOCAL gatehouse.org_id = %s;\n\\o /dev/null\n' "'$BENCH_ORG_ID'"
		for i in 0 1 2 3 4 5 6 7; do
			[ "$i" -eq 1 ] && printf '\\timing on\n'
			printf '\\echo round %s\nDEALLOCATE ALL;\n' "$i"
			printf 'PREPARE p1 AS %s;\nEXECUTE p1%s;\n' "$p1" "${args:+($args)}"
			printf 'PREPARE p2 AS %s;\nEXECUTE p2;\n' "$p2"
		done
		printf 'ROLLBACK;\n'
	} | psql -X -q "$GATEHOUSE_DATABASE_URL" 2>&1 | awk '
		/^round / { r = $2; next }
		/^Time: / && r > 0 && !/DEALLOCATE/ { t[r] += $2 }
		END { for (i = 1; i <= 7; i++) print t[i] }' |
	    sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}

# The stack's processes: nginx, gatehouse and PostgreSQL, each master and its children.
stack_pids() {
	local f pid
	for f in "$STATE/run/nginx.pid" "$STATE/run/gatehouse.pid" "$STATE/pg/data/postmaster.pid"; do
		[ -r "$f" ] || continue
		pid=$(head -n 1 "$f")
		echo "$pid"
		grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3
	done
}

# CPU time (ms) the stack's processes have used so far.
stack_cpu_ms() {
	local pid total=0 t
	for pid in $(stack_pids); do
		t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || continue
		total=$((total + t))
	done
	echo $((total * 1000 / $(getconf CLK_TCK)))
}

# wrk_run NAME URL AUTH CONNS: prints "p50_ms p99_ms rps cpu_ms_per_request" (or
# "- - - -" after a non-200). The CPU is what nginx, gatehouse and PostgreSQL used
# while wrk measured, per request: on a machine others share it is the one figure
# their load does not inflate, and at one connection it is about the latency an
# idle machine would show.
wrk_run() {
	local name=$1 url=$2 auth=$3 conns=$4 out code c0 c1
	code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: $auth" "$url") || code=000
	if [ "$code" != 200 ]; then
		say "$name: probe answered $code"
		FAILED=1
		echo "- - - -"
		return
	fi
	wrk -t1 -c"$conns" -d"${WARMUP}s" -H "Authorization: $auth" "$url" >/dev/null 2>&1 || true
	c0=$(stack_cpu_ms)
	out=$(wrk -t1 -c"$conns" -d"${SECONDS_}s" --latency -H "Authorization: $auth" "$url" 2>&1)
	c1=$(stack_cpu_ms)
	printf '%s\n' "$out" > "$OUT/search-$name-c$conns.txt"
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		say "$name: errors at $conns connections (see $OUT/search-$name-c$conns.txt)"
		FAILED=1
	fi
	awk -v cpu=$((c1 - c0)) 'function ms(v,  n, u) { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
			if (u == "us") n /= 1000; else if (u == "s") n *= 1000; return n }
		$1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 } / requests in / { n = $1 }
		END { printf "%.2f %.2f %.0f %.2f\n", p50, p99, rps, (n > 0 ? cpu / n : 0) }' <<<"$out"
}

CUR_ID=$(page_end_id 4999)
[ -n "$CUR_ID" ] || die "org $BENCH_ORG_ID has fewer than 500,000 users: page 5,000 needs them"
CURSOR=$(cursor_after "$CUR_ID")
only=" ${BENCH_SEARCH_ONLY:-} "

for s in "${SEARCHES[@]}"; do
	IFS='|' read -r name path kind values what <<<"$s"
	[ -z "${BENCH_SEARCH_ONLY:-}" ] || [[ $only == *" $name "* ]] || continue
	path=${path//@CURSOR@/$CURSOR}
	auth=$SF_AUTH
	[ "$kind" = native ] && auth=$NATIVE_AUTH
	say "search $name: $what"
	read -r p50 p99 rps cpu <<<"$(wrk_run "$name" "$GATEHOUSE_URL$path" "$auth" 1)"
	read -r wp50 _ wrps _ <<<"$(wrk_run "$name" "$GATEHOUSE_URL$path" "$auth" "$WORKERS")"
	sql=$(psql_ms "$path" "$auth" "$values")
	ratio=$(awk -v a="$p50" -v b="$sql" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.2f", a / b; else print "-" }')
	ROWS+=("$name|$p50|$p99|$rps|$cpu|$wp50|$wrps|$sql|$ratio|$what")
done

printf '\nsearch in org %s (wrk -t1 -d%ss after %ss; psql: the same statements prepared afresh, planning included, median of 7)\n' \
	"$BENCH_ORG_ID" "$SECONDS_" "$WARMUP"
printf 'c1 cpu: CPU milliseconds nginx, gatehouse and PostgreSQL used per request at one connection\n'
printf '%-16s %8s %8s %7s %7s %10s %8s %8s %6s  %s\n' search 'c1 p50' 'c1 p99' 'c1 rps' 'c1 cpu' \
	"c$WORKERS p50" "c$WORKERS rps" 'psql ms' 'ratio' ''
for row in "${ROWS[@]}"; do
	IFS='|' read -r name p50 p99 rps cpu wp50 wrps sql ratio what <<<"$row"
	printf '%-16s %8s %8s %7s %7s %10s %8s %8s %6s  %s\n' "$name" "$p50" "$p99" "$rps" "$cpu" \
		"$wp50" "$wrps" "$sql" "$ratio" "$what"
done
busy=$(awk '/^some/ { sub("avg300=", "", $4); print $4 }' /proc/pressure/cpu 2>/dev/null || true)
[ -z "$busy" ] || printf 'CPU pressure on the machine over the last 5 minutes: %s%% (0 is idle)\n' "$busy"
exit "$FAILED"
