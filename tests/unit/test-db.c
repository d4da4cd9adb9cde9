/* test-db.c: reading results — every cell read checks the result's bounds and NULL first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Each test gets the result and an arena for copies. */
struct fixture {
	struct arena	 a;
	PGresult	*r;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	arena_init(&f->a, 4096);
	f->r = result();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	PQclear(f->r);
	arena_free(&f->a);
	free(f);
	return 0;
}

static void
cells_read_as_their_types(void **state)
{
	struct fixture	*f = *state;
	const char	*t;

	assert_string_equal(db_value(f->r, 0, 0), "ann");
	t = db_text(&f->a, f->r, 0, 0);
	assert_string_equal(t, "ann");
	assert_ptr_not_equal(t, db_value(f->r, 0, 0));	/* a copy, outliving the result */
	assert_int_equal(db_int(f->r, 0, 1), -42);
	assert_true(db_bool(f->r, 0, 2));
	assert_false(db_bool(f->r, 0, 0));		/* "ann" is not true */
}

/* Every reader of (row, col) answers NULL, 0 or false, and copies nothing. */
static void
reads_as_null(struct fixture *f, int row, int col)
{
	assert_null(db_value(f->r, row, col));
	assert_null(db_text(&f->a, f->r, row, col));
	assert_int_equal(db_int(f->r, row, col), 0);
	assert_false(db_bool(f->r, row, col));
	assert_int_equal(f->a.used, 0);
}

static void
null_reads_as_null_zero_false(void **state)
{
	for (int col = 0; col < 3; col++)
		reads_as_null(*state, 1, col);
}

static void
cells_outside_the_result_read_as_null(void **state)
{
	static const int cells[][2] = { { 2, 0 }, { 0, 3 }, { -1, 0 }, { 0, -1 }, { 5, 0 },
		{ 0, 9 }, { 9, 2 } };

	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		reads_as_null(*state, cells[i][0], cells[i][1]);
	assert_null(db_value(NULL, 0, 0));
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
		cmocka_unit_test_setup_teardown(cells_read_as_their_types, setup, teardown),
		cmocka_unit_test_setup_teardown(null_reads_as_null_zero_false, setup, teardown),
		cmocka_unit_test_setup_teardown(cells_outside_the_result_read_as_null, setup,
		    teardown),
		cmocka_unit_test(an_empty_result_has_no_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
