/*
 * fuzz-userlist.c: libFuzzer harness for the statement of a list of users.
 *
 * The input is a set of list parameters, name=value pairs split on '&' and
 * the first '=' (no decoding). q, sort, limit and cursor are read as the
 * native API reads them, and every other pair is a filter field, the AST
 * built as h_users_list (src/api/native_users.c) builds it: the Lucene parse
 * of q, then one filter_and(filter_cmp(name, FOP_EQ, value)) per pair. Three
 * more names set what other dialects may ask for: offset, count, and
 * cursor.text, the plain text of a cursor (the harness encodes it, so the
 * fuzzer reaches the checks behind the base64).
 *
 * users_list_sql, which builds the statement without the database, must keep
 * every parameter inside the fixed array and put no placeholder in either
 * statement beyond the parameters it takes. The deepest list (64 terms of
 * two parameters each, a cursor of two and an offset) is built once
 * at start-up, so every run covers it whatever the corpus.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/users.h"
#include "../../src/core/users_internal.h"

#define MAX_PAIRS	256
#define NPARAMS_MAX	((int)(sizeof(((struct fsql *)0)->params) / sizeof(const char *)))

static const char *const api_controls[] = { "q", "sort", "limit", "cursor", NULL };
static const char *const harness_controls[] = { "offset", "count", "cursor.text", NULL };

/* A broken rule: says which, for the log of a crash, and stops. */
#define CHECK(cond, what) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz-userlist: %s\n", (what));		\
		abort();						\
	}								\
} while (0)

static bool
listed(const char *const *names, const char *name)
{
	for (; *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

/* Every $n of sql is a placeholder 1..max; nothing else in the text uses '$'. */
static void
check_placeholders(const char *sql, int max)
{
	for (const char *s = strchr(sql, '$'); s != NULL; s = strchr(s + 1, '$')) {
		long n;

		CHECK(s[1] >= '0' && s[1] <= '9', "a '$' that is not a placeholder");
		n = strtol(s + 1, NULL, 10);
		CHECK(n >= 1 && n <= max, "a placeholder beyond the parameters");
	}
}

/*
 * Builds one list's statement from parsed pairs and checks what came out.
 * Returns the statement's parameter count, or -1 when the list was refused
 * (why in e).
 */
static int
build(struct arena *a, char **names, char **values, size_t n, struct core_err *e)
{
	struct user_query	 q;
	struct user_list_plan	 plan;
	struct fsql		 f;
	struct buf		 sql, count;
	struct fnode		*filter = NULL;
	const char		*lucene = NULL;
	enum core_status	 st;
	char			 lim[32];
	const char		*at;

	memset(&q, 0, sizeof(q));
	memset(e, 0, sizeof(*e));
	q.limit = 100;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "q") == 0)
			lucene = values[i];
		else if (strcmp(names[i], "sort") == 0)
			q.sort = values[i];
		else if (strcmp(names[i], "limit") == 0) {
			long l = strtol(values[i], NULL, 10);

			q.limit = l < INT_MIN ? INT_MIN : l > INT_MAX ? INT_MAX : (int)l;
		} else if (strcmp(names[i], "offset") == 0) {
			long o = strtol(values[i], NULL, 10);

			q.offset = o < 0 ? 0 : o > INT_MAX ? INT_MAX : (int)o;
		} else if (strcmp(names[i], "count") == 0)
			q.count = strcmp(values[i], "1") == 0;
		else if (strcmp(names[i], "cursor") == 0)
			q.cursor = values[i];
		else if (strcmp(names[i], "cursor.text") == 0) {
			size_t	 len = strlen(values[i]);
			char	*c = arena_alloc(a, BASE64_LEN(len) + 1);

			if (c == NULL)
				return -1;
			base64_encode(BASE64_URL, values[i], len, c);
			q.cursor = c;
		}
	}
	if (lucene != NULL && *lucene != '\0' &&
	    (filter = filter_parse_lucene(a, lucene, e)) == NULL) {
		CHECK(e->status == CORE_INVALID && strcmp(e->field, "q") == 0,
		    "a query that does not parse is not refused naming q");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!listed(api_controls, names[i]) && !listed(harness_controls, names[i]))
			filter = filter_and(a, filter, filter_cmp(a, names[i], FOP_EQ, values[i]));
	q.filter = filter;

	buf_init(&sql);
	buf_init(&count);
	st = users_list_sql(a, &q, &sql, &count, &f, &plan, e);
	CHECK(f.nparams >= 0 && f.nparams <= NPARAMS_MAX, "more parameters than the array holds");
	CHECK(f.sql == &sql, "the parameters are not the statement's");
	if (st != CORE_OK) {
		/* A refusal says why, and names its field in the bounds of the record. */
		CHECK(e->status == st && e->msg[0] != '\0' &&
		    memchr(e->field, '\0', sizeof(e->field)) != NULL, "a refusal without its reason");
	} else {
		CHECK(!sql.failed && sql.data != NULL && plan.sort != NULL, "no statement");
		/* Nothing the statement takes may be NULL: LIMIT NULL would be no limit. */
		for (int i = 0; i < f.nparams; i++)
			CHECK(f.params[i] != NULL, "a NULL parameter");
		check_placeholders(sql.data, f.nparams);
		/* The limit is the one text the statement takes from its query: a checked integer. */
		snprintf(lim, sizeof(lim), " LIMIT %d", q.limit + 1);
		at = strstr(sql.data, lim);
		CHECK(q.limit >= 1 && at != NULL && strchr(") ", at[strlen(lim)]) != NULL &&
		    at[strlen(lim)] != '\0', "the page's limit is not its own");
		CHECK(plan.count == (q.count && q.cursor == NULL), "a count not asked for, or missing");
		if (plan.count) {
			CHECK(count.data != NULL && plan.count_params >= 0 &&
			    plan.count_params <= f.nparams - (q.offset > 0),
			    "the count takes the offset");
			CHECK(strncmp(count.data, "SELECT count(*) FROM ", 21) == 0 &&
			    strstr(count.data, " ORDER BY ") == NULL, "the count is not the filter alone");
			check_placeholders(count.data, plan.count_params);
		}
	}
	buf_free(&sql);
	buf_free(&count);
	return st == CORE_OK ? f.nparams : -1;
}

/* Splits text (modified in place) into at most MAX_PAIRS name=value pairs and builds them. */
static int
run(char *text, struct core_err *e)
{
	struct arena	 a;
	char		*names[MAX_PAIRS], *values[MAX_PAIRS], *save = NULL;
	size_t		 n = 0;
	int		 got;

	for (char *t = strtok_r(text, "&", &save); t != NULL && n < MAX_PAIRS;
	    t = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(t, '=');

		names[n] = t;
		values[n] = eq != NULL ? eq + 1 : t + strlen(t);
		if (eq != NULL)
			*eq = '\0';
		n++;
	}
	arena_init(&a, 4 * 1024 * 1024);
	got = build(&a, names, values, n, e);
	arena_free(&a);
	return got;
}

/* A list of n terms of two parameters each (a timestamp equal to a date is a day), after a cursor. */
static int
dated(int n, struct core_err *e)
{
	char	text[4096];
	int	len = 0;

	for (int i = 0; i < n; i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, "created_at=2020-01-01&");
	snprintf(text + len, sizeof(text) - (size_t)len, "%s",
	    "offset=1&sort=created_at&cursor.text=created_at\na\n2020-01-01 00:00:00+00\n5");
	return run(text, e);
}

/*
 * The list that once wrote past the parameter array: 64 terms of two
 * parameters each, a cursor of two, then an offset (the limit is written into
 * the statement). It must fill the array but for the one slot the limit left,
 * and one term more must be refused naming q.
 */
static void
deepest(void)
{
	struct core_err	e;
	int		got;

	if ((got = dated(FILTER_MAX_TERMS, &e)) != NPARAMS_MAX - 1) {
		fprintf(stderr, "fuzz-userlist: the deepest list takes %d parameters: %s (%s)\n", got,
		    e.msg, e.field);
		abort();
	}
	CHECK(dated(FILTER_MAX_TERMS + 1, &e) == -1 && strcmp(e.field, "q") == 0,
	    "65 terms are not refused naming q");
}

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	deepest();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_err	 e;
	char		*text;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	run(text, &e);
	free(text);
	return 0;
}
