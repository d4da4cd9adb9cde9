#!/usr/bin/env bash
# run.sh: builds each libFuzzer harness from the parser sources and runs it for a while.
# Usage: tests/fuzz/run.sh SECONDS_PER_TARGET OUTDIR
# Environment: CC (default clang), FUZZ_CFLAGS (extra compiler flags).
# Binaries, working corpora, logs and crash artifacts go under OUTDIR only.
# Stdout is one "fuzz <name>: ok|FAILED" line per target and a summary line;
# details of failures go to stderr.
set -euo pipefail

if [ "$#" -ne 2 ]; then
	echo "usage: $0 SECONDS_PER_TARGET OUTDIR" >&2
	exit 2
fi
secs=$1
case "$secs" in
''|*[!0-9]*) echo "$0: SECONDS_PER_TARGET must be a whole number" >&2; exit 2 ;;
esac
mkdir -p "$2"
out=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
fuzzdir=$root/tests/fuzz

cc=${CC:-clang}
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -I "$root/include" -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DGATEHOUSE_SQLDIR='"x"')
read -r -a libs <<<"$(pkg-config --cflags --libs yajl libcrypto)"
read -r -a extra <<<"${FUZZ_CFLAGS:-}"

# Sources each harness needs (the request layer pulls in every parser, the buffer and the log).
sources() {
	case "$1" in
	form)		echo "src/util/arena.c src/util/base64.c src/util/buf.c src/http/form.c" ;;
	multipart)	echo "src/util/arena.c src/util/base64.c src/util/buf.c src/http/form.c src/http/multipart.c" ;;
	json)		echo "src/util/arena.c src/util/base64.c src/util/buf.c src/http/form.c src/http/json.c" ;;
	query)		echo "src/util/arena.c src/util/base64.c src/util/buf.c src/util/log.c src/http/form.c" \
			    "src/http/multipart.c src/http/json.c src/http/request.c src/http/router.c" ;;
	body|reqid)	echo "src/util/arena.c src/util/base64.c src/util/buf.c src/util/log.c src/http/form.c" \
			    "src/http/multipart.c src/http/json.c src/http/request.c" ;;
	lucene)		echo "src/util/arena.c src/util/buf.c src/core/fail.c src/core/validate.c" \
			    "src/core/filter.c" ;;
	scimfilter)	echo "src/util/arena.c src/util/buf.c src/core/fail.c src/core/validate.c" \
			    "src/core/filter.c src/core/filter_scim.c" ;;
	scimpath)	echo "src/util/arena.c src/util/buf.c src/core/fail.c src/core/filter_scim.c" ;;
	cursor)		echo "src/util/arena.c src/util/base64.c src/core/cursor.c" ;;
	etag)		echo "src/http/etag.c" ;;
	userlist)	echo "src/util/arena.c src/util/base64.c src/util/buf.c src/core/cursor.c" \
			    "src/core/fail.c src/core/filter.c src/core/validate.c" \
			    "src/core/user_fields.c src/core/user_list.c" ;;
	apikey)		echo "src/util/arena.c src/util/buf.c src/util/log.c src/util/base64.c src/util/deadline.c" \
			    "src/db/db.c src/auth/level.c src/auth/secret.c src/auth/apikey.c" ;;
	html)		echo "src/util/buf.c src/util/html.c" ;;
	mime)		echo "src/util/buf.c src/util/base64.c src/util/mime.c" ;;
	webauthn)	echo "src/util/base64.c src/auth/webauthn.c" ;;
	esac
}

# Libraries beyond yajl and libcrypto. Only the key parser shares its file with
# database code; every other parser must build without libpq.
extra_libs() {
	case "$1" in
	apikey)		pkg-config --cflags --libs libpq ;;
	esac
}

# Reports a failed target's log and reproducers on stderr.
explain() {
	local dir=$1 log=$2 a

	{
		grep -E 'ERROR|SUMMARY|error:|Test unit written' "$log" | head -20 | sed 's/^/    /' || true
		for a in "$dir/artifacts/"*; do
			[ -f "$a" ] || continue
			echo "    reproducer $a (hex):"
			od -An -tx1 -v "$a" | head -16 | sed 's/^/     /'
		done
		echo "    full log: $log"
	} >&2
}

passed=0
failed=0
for name in form multipart json query body reqid lucene cursor etag apikey userlist html mime \
    scimfilter scimpath webauthn; do
	dir=$out/$name
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp "$fuzzdir/corpus/$name/"* "$dir/corpus/" 2>/dev/null || true
	srcs=()
	for s in $(sources "$name"); do
		srcs+=("$root/$s")
	done
	read -r -a more <<<"$(extra_libs "$name")"

	if ! "$cc" "${cflags[@]}" ${extra[@]+"${extra[@]}"} -o "$dir/fuzz-$name" "$fuzzdir/fuzz-$name.c" "${srcs[@]}" \
	    "${libs[@]}" ${more[@]+"${more[@]}"} >"$dir/build.log" 2>&1; then
		echo "fuzz $name: FAILED"
		explain "$dir" "$dir/build.log"
		failed=$((failed + 1))
		continue
	fi

	args=(-max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 -print_final_stats=1
	    -artifact_prefix="$dir/artifacts/")
	if [ -f "$fuzzdir/$name.dict" ]; then
		args+=(-dict="$fuzzdir/$name.dict")
	fi
	if (cd "$dir" && "./fuzz-$name" "${args[@]}" corpus) >"$dir/fuzz.log" 2>&1; then
		echo "fuzz $name: ok"
		passed=$((passed + 1))
	else
		echo "fuzz $name: FAILED"
		explain "$dir" "$dir/fuzz.log"
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
