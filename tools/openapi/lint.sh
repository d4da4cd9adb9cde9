#!/usr/bin/env bash
# lint.sh: lints docs/openapi.yaml with the Redocly CLI pinned in package-lock.json.
#
#   tools/openapi/lint.sh        (from anywhere; needs node >= 20.19 and npm)
#
# Installs the pinned linter into tools/openapi/node_modules with `npm ci` when it
# is missing or not the pinned version (only the npm registry is needed), then
# lints with tools/openapi/redocly.yaml (the `recommended` ruleset plus ours).
# Exits non-zero on any lint error. The last line is "openapi: N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cli="$here/node_modules/.bin/redocly"

# No telemetry, update checks or banners: CI logs should hold only the findings.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

finish() {
	if [ "$1" = 0 ]; then
		echo "openapi: 1 passed, 0 failed"
	else
		echo "openapi: 0 passed, 1 failed"
	fi
	exit "$1"
}

# The version package.json pins, and the one installed (empty when none).
pinned() {
	node -e 'process.stdout.write(require(process.argv[1]).devDependencies["@redocly/cli"])' \
		"$here/package.json" 2>/dev/null
}
installed() {
	node -e 'process.stdout.write(require(process.argv[1]).version)' \
		"$here/node_modules/@redocly/cli/package.json" 2>/dev/null
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "lint.sh: node and npm are needed (Debian: apt-get install nodejs npm)" >&2
	finish 1
fi

if [ ! -x "$cli" ] || [ "$(installed)" != "$(pinned)" ]; then
	log=$(mktemp)
	if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
		echo "lint.sh: npm ci failed in tools/openapi:" >&2
		tail -n 20 "$log" >&2
		rm -f "$log"
		finish 1
	fi
	rm -f "$log"
fi

cd "$root" || finish 1
out=$("$cli" lint docs/openapi.yaml --config tools/openapi/redocly.yaml --format=stylish 2>&1)
rc=$?
# Drop Redocly's boxed notices (e.g. the Node.js 20 deprecation banner) and blank lines.
printf '%s\n' "$out" | grep -v -e '^[[:space:]]*[╔║╚]' -e '^[[:space:]]*$' || true
[ "$rc" = 0 ] || rc=1
finish "$rc"
