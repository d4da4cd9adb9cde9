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

# Deterministic rows: names from 99 first names and 1,000 surnames (each
# surname ~1 in 1,000, so name searches are as selective as in a real org),
# 10 departments in 40 department ids, 50 mail domains, one in 20 disabled,
# one in 50 an admin, a spread of employee types, personnel states and
# dates; created_at spread over the last ~3 years.
awk -v n="$n" -v org="$org_id" -v start="$have" 'BEGIN {
	OFS = ","
	split("eng ops sales legal finance support security design research hr", dept, " ")
	nf = split("Ada Alan Alice Amir Ana Andrea Anna Arjun Ben Beatriz Carla Carlos Chen Chloe Daniel " \
	    "David Diego Elena Emma Eric Eva Fatima Felix Frank Grace Hana Hannah Hugo Ines Isaac " \
	    "Ivan Jack James Jana Jin John Jonas Julia Karim Kate Kenji Lara Laura Leo Lina Liam " \
	    "Lucas Luis Maria Mark Marta Maya Mei Mia Milan Mohamed Nadia Nina Noah Nora Olga Omar " \
	    "Oscar Paul Pedro Petra Priya Rafael Rania Ravi Rosa Ruth Sam Sara Sean Sofia Sonia " \
	    "Tariq Theo Tom Uma Vera Victor Wei Yara Yusuf Zoe Zara Aiko Bruno Clara Dmitri Elif " \
	    "Farah Goran Helga Ingrid Joao Kofi", first, " ")
	np = split("Ash Black Brad Brook Carl Clay Dal East Elm Fair Fox Glen Green Hal Hart Hill Holt " \
	    "Kings Lang Lind Marsh Mill Mor North Oak Pen Red Ridge Rock Rose Shaw Stan Stone Thorn " \
	    "Wal West White Wood Wy Yar", pre, " ")
	ns = split("ford wood ton ley field well wick more worth by stead ham bury brook dale gate land " \
	    "man shire son ridge croft holm mere lock", suf, " ")
	split("Engineer Analyst Manager Director Designer Consultant Specialist Coordinator Lead " \
	    "Administrator", title, " ")
	split("employee employee employee employee employee employee contractor contractor " \
	    "non_employee external", etype, " ")
	split("active active active active active onboarding offboarding offboarded", pstat, " ")
	split("completed completed completed completed in_progress not_started", ostat, " ")
	for (i = start; i < n; i++) {
		status = (i % 20 == 0) ? "disabled" : "active"
		reason = (status == "disabled") ? "admin" : ""
		level = (i % 50 == 0) ? "admin" : "user"
		# A multiplicative hash scatters the names over the ids, as sign-ups would.
		h = (i * 2654435761) % 4294967296
		f = first[h % nf + 1]
		l = pre[int(h / nf) % np + 1] suf[int(h / (nf * np)) % ns + 1]
		d = i % 10 + 1
		created = 1700000000 + i * 90
		ack = (i % 3 == 0) ? "" : strftime("%Y-%m-%d %H:%M:%S+00", created + 86400 * (i % 30), 1)
		printf "%d,user%07d,%s.%s%d@corp%02d.example,%s,%s,%s,%s-%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", \
		    org, i, tolower(f), tolower(l), i, i % 50, f, l, dept[d], dept[d], i % 4, \
		    title[i % 10 + 1], etype[i % 10 + 1], status, reason, level, \
		    ostat[i % 6 + 1], pstat[i % 8 + 1], ack, \
		    strftime("%Y-%m-%d", created - 86400 * (i % 400), 1), \
		    strftime("%Y-%m-%d %H:%M:%S+00", created, 1)
	}
}' | psql -X -q "$url" -c "\\copy gatehouse.users (org_id, username, email, first_name, last_name, department, department_id, title, employee_type, status, disabled_reason, access_level, onboarding_status, personnel_status, agent_acknowledged_at, start_date, created_at) FROM STDIN WITH (FORMAT csv, NULL '')"
# As autovacuum would soon after: statistics, the visibility map (index-only
# scans) and the trigram indexes' pending entries merged.
psql -X -q "$url" -c "VACUUM ANALYZE gatehouse.users" >/dev/null
echo "$org_id"
