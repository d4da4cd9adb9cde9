# bench/createusers.sh: the CreateUsers scenario (AttackForge's bulk create,
# POST /attackforge/api/ss/users), sourced by bench/run.sh, which calls
# createusers_scenario after its table. Not a wrk scenario: each request is
# long, and what it measures is the time a batch takes, beside the floor
# under it — the password KDF alone (bench/kdf.c) hashing as many passwords on
# every core.
#
#   BENCH_CREATEUSERS   users per figure (1000)
#   BENCH_ROUNDS        rounds of the batch without passwords (5; the median is shown)
#
# With passwords the users go in batches of USERS_BULK_PASSWORDS_MAX (the most
# one request may carry, include/gatehouse/users.h), one request after the
# other; without, in one request (at most USERS_BULK_MAX). Goals (issue 7):
# with passwords at most 1.15 × the KDF alone; without, at least 5,000 users/s.
# Uses from run.sh: say, die, busy_pct, GH_ROOT, GH_STATE, GATEHOUSE_URL,
# GATEHOUSE_ADMIN_DATABASE_URL; sets FLAGGED=1 when a request or an item failed.

# createusers_body FILE PREFIX FROM TO PASSWORD: a JSON array of users FROM..TO-1.
createusers_body() {
	python3 - "$@" <<'PY'
import json, sys
path, prefix, lo, hi, pw = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
users = []
for i in range(lo, hi):
    u = {"first_name": "Bench", "last_name": f"User{i}", "username": f"{prefix}{i}@createusers.example",
         "email": f"{prefix}{i}@createusers.example", "role": "consultant", "mfa": "No"}
    if pw == "yes":
        u["password"] = f"bench password number {i} of {prefix}"
    users.append(u)
json.dump(users, open(path, "w"))
PY
}

# createusers_post FILE N: POSTs the batch; prints its seconds, or fails unless
# the answer is 200 with N entries, every one Created.
createusers_post() {
	local file=$1 n=$2 out="$GH_STATE/log/bench/createusers.json" code t
	read -r code t < <(curl -sS -o "$out" -w '%{http_code} %{time_total}\n' \
		-H "X-SSAPI-KEY: $CREATEUSERS_KEY" -H 'Content-Type: application/json' \
		--data-binary "@$file" "$GATEHOUSE_URL/attackforge/api/ss/users") || return 1
	[ "$code" = 200 ] || { say "createusers: answered $code: $(head -c 300 "$out")"; return 1; }
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
ok = sum(1 for e in r if e["status"] == "Created")
sys.exit(0 if len(r) == int(sys.argv[2]) == ok else 1)' "$out" "$n" ||
		{ say "createusers: not every item was created ($out)"; return 1; }
	printf '%s\n' "$t"
}

createusers_scenario() {
	local n=${BENCH_CREATEUSERS:-1000} rounds=${BENCH_ROUNDS:-5} ctl="$GH_ROOT/build/gatehousectl"
	local per kdf_line kdf_s algo cores kdf_cpu prefix body="$GH_STATE/createusers-body.json" busy
	local i t total=0 times=() median ratio rate rc=0

	case " ${BENCH_ONLY:-createusers} " in *" createusers "*) ;; *) return 0 ;; esac
	per=$(sed -n 's/^#define[[:space:]]*USERS_BULK_PASSWORDS_MAX[[:space:]]*\([0-9]*\).*/\1/p' \
		"$GH_ROOT/include/gatehouse/users.h")
	[ -n "$per" ] || die "createusers: USERS_BULK_PASSWORDS_MAX not found in users.h"

	say "createusers: build kdf"
	cc -O2 -Wall -I "$GH_ROOT/include" "$GH_ROOT/bench/kdf.c" "$GH_ROOT/build/libgatehouse.a" \
		$(pkg-config --libs libcrypto) -lpthread -o "$GH_STATE/kdf"
	"$ctl" org create createusers >/dev/null 2>&1 || true
	"$ctl" user create --org createusers --email bench-admin@createusers.example --level super \
		>/dev/null 2>&1 || true
	CREATEUSERS_KEY=$("$ctl" key create --org createusers --user bench-admin@createusers.example \
		--name bench)
	prefix=u$(date +%s)$$x

	busy=$(busy_pct)
	say "createusers: the KDF alone, $n hashes on every core"
	kdf_line=$(env -u GATEHOUSE_PASSWORD_COST "$GH_STATE/kdf" "$n") || die "createusers: kdf failed"
	read -r _ _ kdf_s algo cores kdf_cpu <<<"$kdf_line"

	say "createusers: $n users with passwords, $per a request"
	for ((i = 0; i < n; i += per)); do
		createusers_body "$body" "${prefix}p" "$i" $((i + per < n ? i + per : n)) yes
		t=$(createusers_post "$body" $((i + per < n ? per : n - i))) || { rc=1; break; }
		total=$(awk -v a="$total" -v b="$t" 'BEGIN { printf "%.3f", a + b }')
	done

	say "createusers: $n users without passwords in one request, $rounds rounds"
	for ((i = 0; i < rounds && rc == 0; i++)); do
		createusers_body "$body" "${prefix}s${i}_" 0 "$n" no
		t=$(createusers_post "$body" "$n") || { rc=1; break; }
		times+=("$t")
	done
	rm -f "$body"
	if [ $rc -ne 0 ]; then
		FLAGGED=1
		echo "createusers: a request failed (above); no figures"
		return 0
	fi
	median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	ratio=$(awk -v a="$total" -v b="$kdf_s" 'BEGIN { printf "%.2f", a / b }')
	rate=$(awk -v n="$n" -v t="$median" 'BEGIN { printf "%.0f", n / t }')

	printf '\nCreateUsers (POST /attackforge/api/ss/users), %s users:\n' "$n"
	printf '  %-34s %9.2f s   (%.2f s of CPU, %.3f s a hash)\n' "KDF alone ($algo, $cores cores)" \
		"$kdf_s" "$kdf_cpu" "$(awk -v c="$kdf_cpu" -v n="$n" 'BEGIN { print c / n }')"
	printf '  %-34s %9.2f s   %s× the KDF alone (goal ≤ 1.15: %s)\n' \
		"with passwords ($per a request)" "$total" "$ratio" \
		"$(awk -v r="$ratio" 'BEGIN { print (r <= 1.15 ? "met" : "NOT met") }')"
	printf '  %-34s %9.3f s   %s users/s, median of %s (goal ≥ 5000: %s)\n' \
		"without passwords (one request)" "$median" "$rate" "$rounds" \
		"$(awk -v r="$rate" 'BEGIN { print (r >= 5000 ? "met" : "NOT met") }')"
	[ "$busy" -le 10 ] || { echo "  (machine ${busy}% busy before the run)"; BUSY=1; }
}
