#!/usr/bin/env bash
# run.sh: a newcomer's first command. Clones the committed HEAD of this
# repository into a folder closed to everyone else (mktemp -d is 0700, as /root
# is) and, with nothing copied or prepared by hand, checks that `./dev up`
# works there and answers with the key it printed, that `./dev down` leaves
# nothing of it running, that a second `./dev up` finds the cluster the first
# made, and that `./dev purge` and removing the clone leave nothing behind.
#
# Usage: tests/firstrun/run.sh HTTP_PORT PG_PORT OUTDIR SMTP_PORT
# OUTDIR keeps each command's output and a copy of the clone's logs. Stdout is
# one "firstrun <check>: ok|FAILED" line per check, details of failures, and
# the summary line "firstrun: N passed, N failed".
set -euo pipefail

if [ "$#" -ne 4 ]; then
	echo "usage: $0 HTTP_PORT PG_PORT OUTDIR SMTP_PORT" >&2
	exit 2
fi
http_port=$1
pg_port=$2
smtp_port=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$3"
mkdir -p "$3"
out=$(cd "$3" && pwd)
url=http://127.0.0.1:$http_port
# A newcomer's shell has none of what a test stack exports.
unset "${!GATEHOUSE_@}" PGPASSFILE ASAN_OPTIONS UBSAN_OPTIONS

passed=0
failed=0
# check NAME CMD…: one counted check; CMD explains its own failure on stdout.
check() {
	local name=$1
	shift
	if "$@"; then
		echo "firstrun $name: ok"
		passed=$((passed + 1))
	else
		echo "firstrun $name: FAILED"
		failed=$((failed + 1))
	fi
}

tmp=$(mktemp -d)
clone=$tmp/gatehouse
svc=""
finish() {
	# Whatever stopped the checks, nothing of the clone may stay behind.
	if [ -x "$clone/dev" ]; then
		(cd "$clone" && ./dev purge) >>"$out/cleanup.log" 2>&1 || true
	fi
	rm -rf "$tmp"
	echo "firstrun: $passed passed, $failed failed"
}
trap finish EXIT

# dev LOG ARGS…: runs the clone's ./dev on the first-run ports, output to OUTDIR/LOG.
dev() {
	local log=$out/$1
	shift
	if ! (cd "$clone" && GH_UP_HTTP_PORT=$http_port GH_UP_PG_PORT=$pg_port \
		GH_UP_SMTP_PORT=$smtp_port ./dev "$@") \
		>"$log" 2>&1 < /dev/null; then
		echo "  ./dev $* failed; the end of $log:"
		tail -n 20 "$log" | sed 's/^/    /'
		return 1
	fi
}

closed_parent() {
	[ "$(stat -c %a "$tmp")" = 700 ] || { echo "  $tmp is not 0700"; return 1; }
}

# Where the clone's services keep their files: var/ itself, or the directory
# var/log links to when var/ is closed to them.
find_svc() {
	if [ -L "$clone/var/log" ]; then
		svc=$(dirname "$(readlink "$clone/var/log")")
	else
		svc=$clone/var
	fi
}

readyz() {
	local body
	body=$(curl -fsS "$url/readyz") || { echo "  GET /readyz failed"; return 1; }
	grep -q '"status":"ready"' <<<"$body" || { echo "  GET /readyz: $body"; return 1; }
}

# me KEY: GET /api/v1/me with KEY answers the admin's principal.
me() {
	local body
	[ -n "$1" ] || { echo "  no admin key in the output of ./dev up"; return 1; }
	body=$(curl -fsS -H "Authorization: Bearer $1" "$url/api/v1/me") ||
		{ echo "  GET /api/v1/me failed"; return 1; }
	grep -q '"access_level":"super"' <<<"$body" || { echo "  GET /api/v1/me: $body"; return 1; }
}

# start_time PID: the kernel's start time of PID, so a reused pid is not taken
# for it; fails when PID is gone or a zombie (dead, waiting to be reaped).
start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# The command name may hold spaces: the fields after its ") " do not.
	read -r -a stat <<<"${stat##*) }"
	[ "${stat[0]}" != Z ] || return 1
	echo "${stat[19]}"
}

# descendants PID…: the pids and all their descendants, from /proc.
descendants() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
		{ pid = $1; sub(/.*\) /, ""); split($0, f, " "); parent[pid] = f[2] }
		END {
			n = split(roots, r, " ")
			for (i = 1; i <= n; i++)
				keep[r[i]] = 1
			do {
				grew = 0
				for (p in parent)
					if (!(p in keep) && (parent[p] in keep)) {
						keep[p] = 1
						grew = 1
					}
			} while (grew)
			for (p in keep)
				if (p in parent)
					print p
		}'
}

# record_processes: every process of the running stack, as "PID STARTTIME" lines.
record_processes() {
	local masters=() pid f
	for f in "$svc/run/gatehouse.pid" "$svc/run/nginx.pid" "$svc/pg/data/postmaster.pid" \
	    "$svc/run/smtp.pid" "$svc/run/mailer.pid"; do
		[ -f "$f" ] || { echo "  no $f while the stack is up"; return 1; }
		masters+=("$(head -n 1 "$f")")
	done
	: >"$out/processes"
	for pid in $(descendants "${masters[@]}"); do
		echo "$pid $(start_time "$pid")" >>"$out/processes"
	done
	[ "$(wc -l <"$out/processes")" -ge 8 ] ||
		{ echo "  too few processes in the stack:"; cat "$out/processes"; return 1; }
}

# nothing_left: none of the recorded processes runs, no process names the clone
# or its service directory, the port does not answer and no socket is left.
nothing_left() {
	local pid st bad=0 f cmd
	while read -r pid st; do
		if [ "$(start_time "$pid" || true)" = "$st" ]; then
			echo "  still running: $pid $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
			bad=1
		fi
	done <"$out/processes"
	for f in /proc/[0-9]*/cmdline; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
		case $cmd in
		*"$clone"*|*"$svc/"*)
			echo "  still running: ${f//[^0-9]/} $cmd"
			bad=1 ;;
		esac
	done
	if curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; then
		echo "  $url still answers"
		bad=1
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then
		echo "  the SMTP port $smtp_port still answers"
		bad=1
	fi
	for f in "$svc/run/gatehouse.sock" "$svc/pg/run/.s.PGSQL.$pg_port"; do
		[ ! -e "$f" ] || { echo "  $f is left"; bad=1; }
	done
	return $bad
}

# invitation_arrives KEY: an invitation made with KEY reaches var/mail/ with its link.
invitation_arrives() {
	local addr="firstrun-$$@example.com" i
	curl -fsS -o /dev/null -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-d "{\"email\": \"$addr\", \"invite\": true}" "$url/api/v1/users" ||
		{ echo "  POST /api/v1/users failed"; return 1; }
	for i in $(seq 1 100); do
		grep -ls "$addr" "$clone"/var/mail/*.eml 2>/dev/null | xargs -r grep -q "$url/register?token=gt_" &&
			return 0
		sleep 0.1
	done
	echo "  no invitation with a link in $clone/var/mail/"
	return 1
}

# reused: the second ./dev up ran no initdb and the first run's key still works.
reused() {
	if grep -q 'initdb' "$out/up2.log"; then
		echo "  the second ./dev up made a new cluster:"
		grep 'initdb' "$out/up2.log" | sed 's/^/    /'
		return 1
	fi
	me "$key1"
}

no_worker_died() {
	local lines
	lines=$(grep -E 'worker [0-9]+ killed by signal' "$svc/log/gatehouse.log") || return 0
	echo "  $lines"
	return 1
}

gone() {
	local bad=0
	[ ! -e "$clone/var" ] || { echo "  $clone/var is left"; bad=1; }
	[ ! -e "$svc" ] || { echo "  $svc is left"; bad=1; }
	return $bad
}

check clone git clone -q "$root" "$clone"
check closed-parent closed_parent
check up dev up1.log up
key1=$(sed -n 's/^  admin key: *//p' "$out/up1.log")
find_svc
check readyz readyz
check me me "$key1"
check processes record_processes
check mail invitation_arrives "$key1"
check down dev down1.log down
check nothing-left nothing_left
check second-up dev up2.log up
check reuses-cluster reused
check processes-again record_processes
check down-again dev down2.log down
check nothing-left-again nothing_left
cp -rL "$clone/var/log" "$out/log" 2>/dev/null || true
check no-worker-died no_worker_died
check purge dev purge.log purge
check purge-leaves-nothing gone
rm -rf "$tmp"
check clone-removed test ! -e "$tmp"
[ "$failed" -eq 0 ]
