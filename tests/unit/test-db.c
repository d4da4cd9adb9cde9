/* test-db.c: reading results — every cell read checks the result's bounds and NULL first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"

/* A result built without a server: two rows of (text, bigint, boolean), row 1 all NULL. */
static PGresult *
result(void)
{
	PGresAttDesc	 cols[3];
	PGresult	*r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	assert_non_null(r);
	memset(cols, 0, sizeof(cols));
	cols[0].name = (char *)"name";
	cols[1].name = (char *)"id";
	cols[2].name = (char *)"ok";
	for (int i = 0; i < 3; i++)
		cols[i].typlen = -1;
	assert_int_equal(PQsetResultAttrs(r, 3, cols), 1);
	assert_int_equal(PQsetvalue(r, 0, 0, (char *)"ann", 3), 1);
	assert_int_equal(PQsetvalue(r, 0, 1, (char *)"-42", 3), 1);
	assert_int_equal(PQsetvalue(r, 0, 2, (char *)"t", 1), 1);
	for (int c = 0; c < 3; c++)
		assert_int_equal(PQsetvalue(r, 1, c, NULL, -1), 1);
	assert_int_equal(PQntuples(r), 2);
	return r;
}

static void
cells_read_as_their_types(void **state)
{
	struct arena	 a;
	PGresult	*r = result();
	const char	*t;

	(void)state;
	arena_init(&a, 4096);
	assert_string_equal(db_value(r, 0, 0), "ann");
	t = db_text(&a, r, 0, 0);
	assert_string_equal(t, "ann");
	assert_ptr_not_equal(t, db_value(r, 0, 0));	/* a copy, outliving the result */
	assert_int_equal(db_int(r, 0, 1), -42);
	assert_true(db_bool(r, 0, 2));
	assert_false(db_bool(r, 0, 0));			/* "ann" is not true */
	arena_free(&a);
	PQclear(r);
}

static void
null_reads_as_null_zero_false(void **state)
{
	struct arena	 a;
	PGresult	*r = result();

	(void)state;
	arena_init(&a, 4096);
	assert_null(db_value(r, 1, 0));
	assert_null(db_text(&a, r, 1, 0));
	assert_int_equal(db_int(r, 1, 1), 0);
	assert_false(db_bool(r, 1, 2));
	assert_int_equal(a.used, 0);
	arena_free(&a);
	PQclear(r);
}

static void
cells_outside_the_result_read_as_null(void **state)
{
	struct arena	 a;
	PGresult	*r = result();

	(void)state;
	arena_init(&a, 4096);
	assert_null(db_value(r, 2, 0));
	assert_null(db_value(r, 0, 3));
	assert_null(db_value(r, -1, 0));
	assert_null(db_value(r, 0, -1));
	assert_null(db_value(NULL, 0, 0));
	assert_null(db_text(&a, r, 5, 0));
	assert_int_equal(db_int(r, 0, 9), 0);
	assert_false(db_bool(r, 9, 2));
	assert_int_equal(a.used, 0);
	arena_free(&a);
	PQclear(r);
}

static void
an_empty_result_has_no_cells(void **state)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	(void)state;
	assert_non_null(r);
	assert_null(db_value(r, 0, 0));
	assert_int_equal(db_int(r, 0, 0), 0);
	PQclear(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cells_read_as_their_types),
		cmocka_unit_test(null_reads_as_null_zero_false),
		cmocka_unit_test(cells_outside_the_result_read_as_null),
		cmocka_unit_test(an_empty_result_has_no_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
