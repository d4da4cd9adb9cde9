#!/usr/bin/env bash
# run.sh: the browser tests (run.mjs) with the playwright-core that package-lock.json pins,
# in Debian's headless Chromium, against the stack GATEHOUSE_URL and GH_STATE name.
#
# Installs playwright-core into tests/browser/node_modules with `npm ci` when it is
# missing or not the pinned version (only the npm registry is needed; playwright-core
# downloads no browser). The last line is "browser: N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() {
	echo "run.sh: $*" >&2
	echo "browser: 0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	fail "node and npm are needed (Debian: apt-get install nodejs npm)"
[ -x "${GH_CHROMIUM:-/usr/bin/chromium}" ] || fail "chromium is needed (Debian: apt-get install chromium)"

pinned=$(node -e 'process.stdout.write(require(process.argv[1]).devDependencies["playwright-core"])' \
	"$here/package.json" 2>/dev/null)
installed=$(node -e 'process.stdout.write(require(process.argv[1]).version)' \
	"$here/node_modules/playwright-core/package.json" 2>/dev/null)
if [ "$installed" != "$pinned" ]; then
	log=$(mktemp)
	if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -f "$log"
		fail "npm ci failed in tests/browser"
	fi
	rm -f "$log"
fi
exec node "$here/run.mjs"
