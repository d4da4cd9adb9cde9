#!/usr/bin/env bash
# bench/page-statements.sh URI AUTH: the statements one list request runs, as a
# plain-CGI run of gatehouse logs them at debug level (names and $n only, never
# values), one per line: "d<TAB>…" the filtered ids into gatehouse.page, and
# "l<TAB>…" their records (src/core/users_internal.h). For run.sh and search.sh,
# which prepare and execute them in psql beside the request. Needs GH_ROOT and
# the stack's GATEHOUSE_* environment.
set -euo pipefail
: "${GH_ROOT:?}"
GATEHOUSE_LOG_LEVEL=debug GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET REQUEST_URI="$1" \
	HTTP_AUTHORIZATION="$2" "$GH_ROOT/build/gatehouse" 2>&1 >/dev/null </dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        msg = json.loads(line).get("msg", "")
    except ValueError:
        continue
    for kind in ("dynamic query: ", "list records: "):
        if msg.startswith(kind):
            print(kind[0] + "\t" + msg[len(kind):])'
