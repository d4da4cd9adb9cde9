#!/usr/bin/env bash
# gen-users.sh: loads N synthetic users into one org with COPY, for list benchmarks.
#
#   bench/gen-users.sh ORG_NAME N
#
# Needs GATEHOUSE_ADMIN_DATABASE_URL (the owner role, which row-level
# security does not restrict) and PGPASSFILE, as ./dev exports them. Creates
# the org if needed; skips the load when the org already has N users, so
# repeated benchmark runs reuse the data. Prints the org id.
set -euo pipefail

org=${1:?usage: gen-users.sh ORG_NAME N}
n=${2:?usage: gen-users.sh ORG_NAME N}
url=${GATEHOUSE_ADMIN_DATABASE_URL:?set GATEHOUSE_ADMIN_DATABASE_URL (owner role)}
ctl="${GH_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}/build/gatehousectl"

"$ctl" org create "$org" >/dev/null 2>&1 || true
org_id=$(psql -X -At "$url" -c "SELECT id FROM gatehouse.orgs WHERE lower(name) = lower('$org')")
have=$(psql -X -At "$url" -c "SELECT count(*) FROM gatehouse.users WHERE org_id = $org_id")
if [ "$have" -ge "$n" ]; then
	echo "$org_id"
	exit 0
fi

# Deterministic rows: 10 departments, 50 mail domains, one in 20 disabled,
# one in 50 an admin; created_at spread over the last ~3 years.
awk -v n="$n" -v org="$org_id" -v start="$have" 'BEGIN {
	OFS = ","
	split("eng ops sales legal finance support security design research hr", dept, " ")
	for (i = start; i < n; i++) {
		status = (i % 20 == 0) ? "disabled" : "active"
		reason = (status == "disabled") ? "admin" : ""
		level = (i % 50 == 0) ? "admin" : "user"
		printf "%d,user%07d,user%07d@corp%02d.example,First%d,Last%d,%s,%s,%s,%s,%s\n", \
		    org, i, i, i % 50, i % 997, i % 991, dept[i % 10 + 1], status, reason, level, \
		    strftime("%Y-%m-%d %H:%M:%S+00", 1700000000 + i * 90, 1)
	}
}' | psql -X -q "$url" -c "\\copy gatehouse.users (org_id, username, email, first_name, last_name, department, status, disabled_reason, access_level, created_at) FROM STDIN WITH (FORMAT csv, NULL '')"
psql -X -q "$url" -c "ANALYZE gatehouse.users" >/dev/null
echo "$org_id"
