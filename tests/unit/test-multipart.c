/* test-multipart.c: multipart/form-data text fields, boundaries, refused uploads and limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/params.h"

#define CT	"multipart/form-data; boundary=XyZ"
#define CD	"Content-Disposition: form-data; "

struct fx {
	struct arena		a;
	struct params		p;
	struct parse_limits	lim;
	struct parse_error	e;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	arena_init(&f.a, 1 << 20);
	f.lim.max_fields = 4;
	f.lim.max_field_len = 32;
	f.lim.max_depth = 4;
	f.lim.max_nodes = 64;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	return 0;
}

/* Parses a string literal body, embedded NULs included. */
#define MP(f, ct, lit) \
	multipart_parse(&(f)->a, &(f)->p, &(f)->lim, (ct), (lit), sizeof(lit) - 1, &(f)->e)

static void
one_field_is_parsed(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"email\"\r\n\r\nada@example.org\r\n--XyZ--\r\n"), PARSE_OK);
	assert_int_equal(f->p.n, 1);
	assert_string_equal(params_get(&f->p, "email"), "ada@example.org");
	assert_int_equal(params_find(&f->p, "email")->kind, PARAM_TEXT);
}

static void
several_fields_keep_their_order(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
	    "--XyZ\r\n" CD "name=\"b\"\r\n\r\n2\r\n"
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n3\r\n"
	    "--XyZ--"), PARSE_OK);
	assert_int_equal(f->p.n, 3);
	assert_string_equal(f->p.v[0].name, "a");
	assert_string_equal(f->p.v[1].name, "b");
	assert_string_equal(f->p.v[2].value, "3");
	assert_int_equal(params_count(&f->p, "a"), 2);
}

static void
quoted_boundary_is_accepted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, "multipart/form-data; boundary=\"--=_b:c d\"",
	    "----=_b:c d\r\n" CD "name=\"a\"\r\n\r\nx\r\n----=_b:c d--\r\n"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
boundary_param_may_follow_other_params(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, "multipart/form-data; charset=utf-8;boundary=XyZ",
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ--"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
boundary_inside_a_quoted_param_is_not_used(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, "multipart/form-data; x=\"; boundary=evil\"; boundary=XyZ",
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ--"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
preamble_before_first_boundary_is_ignored(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "This is a preamble. --XyZ is not a delimiter here.\r\n"
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ--\r\n"), PARSE_OK);
	assert_int_equal(f->p.n, 1);
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
empty_value_is_kept(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n\r\n--XyZ--"), PARSE_OK);
	assert_non_null(params_get(&f->p, "a"));
	assert_string_equal(params_get(&f->p, "a"), "");
}

static void
value_may_contain_crlf_and_boundary_text(void **state)
{
	struct fx *f = *state;
	static const char want[] = "line1\r\nline2 --XyZ x\r\n-XyZ";

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"bio\"\r\n\r\nline1\r\nline2 --XyZ x\r\n-XyZ\r\n--XyZ--"),
	    PARSE_OK);
	assert_int_equal(params_find(&f->p, "bio")->len, sizeof(want) - 1);
	assert_string_equal(params_get(&f->p, "bio"), want);
}

static void
other_part_headers_are_ignored(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "content-disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
transport_padding_after_boundary_is_allowed(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ \t\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ--"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
field_named_filename_is_not_a_file(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"filename\"\r\n\r\nx\r\n--XyZ--"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "filename"), "x");
}

static void
missing_boundary_param_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, "multipart/form-data",
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "boundary"));
	assert_int_equal(f->p.n, 0);
}

static void
empty_boundary_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, "multipart/form-data; boundary=\"\"", "--\r\n"), PARSE_SYNTAX);
}

static void
boundary_longer_than_70_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, "multipart/form-data; boundary="
	    "12345678901234567890123456789012345678901234567890123456789012345678901",
	    "--x"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "boundary"));
}

static void
boundary_of_70_is_accepted(void **state)
{
	struct fx *f = *state;

#define B70 "1234567890123456789012345678901234567890123456789012345678901234567890"
	assert_int_equal(MP(f, "multipart/form-data; boundary=" B70,
	    "--" B70 "\r\n" CD "name=\"a\"\r\n\r\nx\r\n--" B70 "--"), PARSE_OK);
#undef B70
	assert_string_equal(params_get(&f->p, "a"), "x");
}

static void
body_without_opening_boundary_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT, "a=1&b=2"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "opening boundary"));
}

static void
boundary_text_not_at_line_start_does_not_open(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "x--XyZ\r\n" CD "name=\"a\"\r\n\r\nx"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "opening boundary"));
}

static void
empty_body_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT, ""), PARSE_SYNTAX);
}

static void
unterminated_part_is_syntax_error_naming_field(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"bio\"\r\n\r\nno closing delimiter"), PARSE_SYNTAX);
	assert_string_equal(f->e.field, "bio");
	assert_non_null(strstr(f->e.msg, "not terminated"));
}

static void
unterminated_part_headers_are_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT, "--XyZ\r\n" CD "name=\"a\"\r\n"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "unterminated"));
}

static void
garbage_after_boundary_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZjunk\r\n" CD "name=\"a\"\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "boundary line"));
}

static void
part_with_filename_is_unsupported_naming_field(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"avatar\"; filename=\"me.png\"\r\n"
	    "Content-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--"), PARSE_UNSUPPORTED);
	assert_int_equal(f->e.status, PARSE_UNSUPPORTED);
	assert_string_equal(f->e.field, "avatar");
	assert_int_equal(f->p.n, 0);
}

static void
part_with_empty_filename_is_unsupported(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"avatar\"; filename=\"\"\r\n\r\n\r\n--XyZ--"),
	    PARSE_UNSUPPORTED);
	assert_string_equal(f->e.field, "avatar");
}

static void
part_without_name_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "field name"));
}

static void
part_with_empty_name_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"\"\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
}

static void
part_without_content_disposition_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
	assert_int_equal(f->p.n, 0);
}

static void
part_with_no_headers_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT, "--XyZ\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
}

static void
non_form_data_disposition_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--"),
	    PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "form-data"));
}

static void
unclosed_quote_in_disposition_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"a\r\n\r\nx\r\n--XyZ--"), PARSE_SYNTAX);
}

static void
nul_in_value_is_rejected(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\nx\0y\r\n--XyZ--"), PARSE_SYNTAX);
	assert_string_equal(f->e.field, "a");
	assert_non_null(strstr(f->e.msg, "NUL"));
}

static void
more_fields_than_limit_is_limit_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n2\r\n"
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n3\r\n"
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n4\r\n"
	    "--XyZ\r\n" CD "name=\"a\"\r\n\r\n5\r\n"
	    "--XyZ--"), PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "too many fields (limit 4)"));
	assert_int_equal(f->p.n, 4);
}

static void
value_longer_than_limit_is_limit_error_naming_field(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"bio\"\r\n\r\n"
	    "0123456789012345678901234567890123\r\n--XyZ--"), PARSE_LIMIT);
	assert_string_equal(f->e.field, "bio");
	assert_non_null(strstr(f->e.msg, "32 bytes"));
}

static void
name_longer_than_limit_is_limit_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(MP(f, CT,
	    "--XyZ\r\n" CD "name=\"0123456789012345678901234567890123\"\r\n\r\n"
	    "x\r\n--XyZ--"), PARSE_LIMIT);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(one_field_is_parsed),
		T(several_fields_keep_their_order),
		T(quoted_boundary_is_accepted),
		T(boundary_param_may_follow_other_params),
		T(boundary_inside_a_quoted_param_is_not_used),
		T(preamble_before_first_boundary_is_ignored),
		T(empty_value_is_kept),
		T(value_may_contain_crlf_and_boundary_text),
		T(other_part_headers_are_ignored),
		T(transport_padding_after_boundary_is_allowed),
		T(field_named_filename_is_not_a_file),
		T(missing_boundary_param_is_syntax_error),
		T(empty_boundary_is_syntax_error),
		T(boundary_longer_than_70_is_syntax_error),
		T(boundary_of_70_is_accepted),
		T(body_without_opening_boundary_is_syntax_error),
		T(boundary_text_not_at_line_start_does_not_open),
		T(empty_body_is_syntax_error),
		T(unterminated_part_is_syntax_error_naming_field),
		T(unterminated_part_headers_are_syntax_error),
		T(garbage_after_boundary_is_syntax_error),
		T(part_with_filename_is_unsupported_naming_field),
		T(part_with_empty_filename_is_unsupported),
		T(part_without_name_is_syntax_error),
		T(part_with_empty_name_is_syntax_error),
		T(part_without_content_disposition_is_syntax_error),
		T(part_with_no_headers_is_syntax_error),
		T(non_form_data_disposition_is_syntax_error),
		T(unclosed_quote_in_disposition_is_syntax_error),
		T(nul_in_value_is_rejected),
		T(more_fields_than_limit_is_limit_error),
		T(value_longer_than_limit_is_limit_error_naming_field),
		T(name_longer_than_limit_is_limit_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
