/* test-config.c: defaults, the key = value file, GATEHOUSE_* overrides and errors that name the key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gatehouse/config.h"

static const char *const envs[] = {
	"GATEHOUSE_DATABASE_URL", "GATEHOUSE_ADMIN_DATABASE_URL", "GATEHOUSE_SOCKET",
	"GATEHOUSE_SOCKET_MODE", "GATEHOUSE_WORKERS", "GATEHOUSE_MAX_REQUESTS",
	"GATEHOUSE_MAX_BODY", "GATEHOUSE_MAX_FIELDS", "GATEHOUSE_MAX_FIELD_LEN",
	"GATEHOUSE_JSON_MAX_DEPTH", "GATEHOUSE_JSON_MAX_NODES", "GATEHOUSE_SQL_DIR",
	"GATEHOUSE_LOG_LEVEL", "GATEHOUSE_PUBLIC_URL",
};

struct fx {
	struct config	c;
	char		path[64];
	char		err[256];
};

static void
unset_all(void)
{
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++)
		unsetenv(envs[i]);
}

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	unset_all();
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	config_free(&f->c);
	if (f->path[0] != '\0')
		unlink(f->path);
	unset_all();
	return 0;
}

/* Writes text to a new temporary file and returns its path. */
static const char *
file(struct fx *f, const char *text)
{
	int	 fd;
	size_t	 n = strlen(text);

	snprintf(f->path, sizeof(f->path), "/tmp/gatehouse-test-config.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return f->path;
}

static int
load(struct fx *f, const char *text)
{
	return config_load(&f->c, text ? file(f, text) : NULL, f->err, sizeof(f->err));
}

static void
defaults_apply_without_file(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, NULL), 0);
	assert_string_equal(f->c.database_url, "dbname=gatehouse");
	assert_null(f->c.admin_database_url);
	assert_string_equal(f->c.socket, "/run/gatehouse/gatehouse.sock");
	assert_int_equal(f->c.socket_mode, 0660);
	assert_true(f->c.workers >= 1 && f->c.workers <= 1024);
	assert_int_equal(f->c.max_requests, 100000);
	assert_int_equal(f->c.max_body, 1 << 20);
	assert_int_equal(f->c.request_timeout, 25);
	assert_int_equal(f->c.max_fields, 256);
	assert_int_equal(f->c.max_field_len, 64 * 1024);
	assert_int_equal(f->c.json_max_depth, 32);
	assert_int_equal(f->c.json_max_nodes, 100000);
	assert_string_equal(f->c.sql_dir, GATEHOUSE_SQLDIR);
	assert_string_equal(f->c.log_level, "info");
	assert_null(f->c.public_url);
}

static void
file_values_replace_defaults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f,
	    "database_url = host=db dbname=gh user=svc\n"
	    "socket=127.0.0.1:9000\n"
	    "workers = 3\n"
	    "max_requests = 0\n"
	    "max_body = 2048\n"
	    "max_fields = 10\n"
	    "max_field_len = 100\n"
	    "json_max_depth = 8\n"
	    "json_max_nodes = 500\n"
	    "log_level = debug\n"
	    "public_url = https://example.org\n"), 0);
	assert_string_equal(f->c.database_url, "host=db dbname=gh user=svc");
	assert_string_equal(f->c.socket, "127.0.0.1:9000");
	assert_int_equal(f->c.workers, 3);
	assert_int_equal(f->c.max_requests, 0);
	assert_int_equal(f->c.max_body, 2048);
	assert_int_equal(f->c.max_fields, 10);
	assert_int_equal(f->c.max_field_len, 100);
	assert_int_equal(f->c.json_max_depth, 8);
	assert_int_equal(f->c.json_max_nodes, 500);
	assert_string_equal(f->c.log_level, "debug");
	assert_string_equal(f->c.public_url, "https://example.org");
	assert_int_equal(f->c.socket_mode, 0660);
}

static void
comments_blank_lines_and_indentation_are_ignored(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f,
	    "# Gatehouse\n"
	    "\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "\tworkers\t=\t7  \n"), 0);
	assert_int_equal(f->c.workers, 7);
}

static void
crlf_line_endings_are_accepted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "workers = 4\r\nlog_level = warn\r\n"), 0);
	assert_int_equal(f->c.workers, 4);
	assert_string_equal(f->c.log_level, "warn");
}

static void
last_line_without_newline_is_read(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "workers = 9"), 0);
	assert_int_equal(f->c.workers, 9);
}

static void
later_lines_override_earlier_ones(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "log_level = debug\nlog_level = error\n"), 0);
	assert_string_equal(f->c.log_level, "error");
}

static void
empty_file_keeps_defaults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->c.max_fields, 256);
}

static void
unknown_key_is_error_naming_it_and_line(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "workers = 2\nmax_bodyy = 10\n"), -1);
	assert_non_null(strstr(f->err, "max_bodyy"));
	assert_non_null(strstr(f->err, ":2:"));
}

static void
line_without_equals_is_error_with_line(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "# ok\nworkers 4\n"), -1);
	assert_non_null(strstr(f->err, ":2:"));
	assert_non_null(strstr(f->err, "key = value"));
}

static void
keys_are_case_sensitive(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "Workers = 4\n"), -1);
	assert_non_null(strstr(f->err, "Workers"));
}

static void
number_below_range_is_error_naming_key(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "workers = 0\n"), -1);
	assert_non_null(strstr(f->err, "workers"));
	assert_non_null(strstr(f->err, "1 to 1024"));
}

static void
number_above_range_is_error_naming_key(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "json_max_depth = 257\n"), -1);
	assert_non_null(strstr(f->err, "json_max_depth"));
	assert_non_null(strstr(f->err, "257"));
}

static void
range_bounds_are_inclusive(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "workers = 1024\nmax_body = 1024\njson_max_depth = 2\n"), 0);
	assert_int_equal(f->c.workers, 1024);
	assert_int_equal(f->c.max_body, 1024);
	assert_int_equal(f->c.json_max_depth, 2);
}

static void
max_body_below_one_kilobyte_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "max_body = 1023\n"), -1);
	assert_non_null(strstr(f->err, "max_body"));
}

static void
request_timeout_is_bounded(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "request_timeout = 0\n"), -1);
	assert_non_null(strstr(f->err, "request_timeout"));
	config_free(&f->c);
	assert_int_equal(load(f, "request_timeout = 3601\n"), -1);
	config_free(&f->c);
	assert_int_equal(load(f, "request_timeout = 10\n"), 0);
	assert_int_equal(f->c.request_timeout, 10);
}

static void
negative_number_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "max_requests = -1\n"), -1);
	assert_non_null(strstr(f->err, "max_requests"));
}

static void
long_setting_accepts_long_max(void **state)
{
	struct fx *f = *state;
	char text[64];

	snprintf(text, sizeof(text), "max_requests = %ld\n", LONG_MAX);
	assert_int_equal(load(f, text), 0);
	assert_int_equal(f->c.max_requests, LONG_MAX);
}

static void
overflowing_number_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "max_requests = 99999999999999999999999\n"), -1);
	assert_non_null(strstr(f->err, "max_requests"));
}

static void
non_numeric_value_is_error_naming_key(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "max_fields = 12abc\n"), -1);
	assert_non_null(strstr(f->err, "max_fields"));
	assert_non_null(strstr(f->err, "12abc"));
}

static void
empty_numeric_value_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "workers =\n"), -1);
	assert_non_null(strstr(f->err, "workers"));
}

static void
socket_mode_is_octal(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "socket_mode = 0600\n"), 0);
	assert_int_equal(f->c.socket_mode, 0600);
}

static void
socket_mode_without_leading_zero_is_still_octal(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "socket_mode = 770\n"), 0);
	assert_int_equal(f->c.socket_mode, 0770);
}

static void
non_octal_socket_mode_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "socket_mode = 0680\n"), -1);
	assert_non_null(strstr(f->err, "socket_mode"));
	assert_non_null(strstr(f->err, "octal"));
}

static void
socket_mode_above_0777_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, "socket_mode = 1777\n"), -1);
	assert_non_null(strstr(f->err, "socket_mode"));
}

static void
missing_file_is_error_naming_path(void **state)
{
	struct fx *f = *state;

	assert_int_equal(config_load(&f->c, "/nonexistent/gatehouse.conf", f->err,
	    sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "/nonexistent/gatehouse.conf"));
}

static void
environment_overrides_file(void **state)
{
	struct fx *f = *state;

	setenv("GATEHOUSE_WORKERS", "5", 1);
	setenv("GATEHOUSE_LOG_LEVEL", "error", 1);
	assert_int_equal(load(f, "workers = 3\nlog_level = debug\n"), 0);
	assert_int_equal(f->c.workers, 5);
	assert_string_equal(f->c.log_level, "error");
}

static void
environment_overrides_defaults(void **state)
{
	struct fx *f = *state;

	setenv("GATEHOUSE_DATABASE_URL", "host=/tmp dbname=x", 1);
	setenv("GATEHOUSE_ADMIN_DATABASE_URL", "dbname=x user=owner", 1);
	setenv("GATEHOUSE_MAX_FIELD_LEN", "4096", 1);
	assert_int_equal(load(f, NULL), 0);
	assert_string_equal(f->c.database_url, "host=/tmp dbname=x");
	assert_string_equal(f->c.admin_database_url, "dbname=x user=owner");
	assert_int_equal(f->c.max_field_len, 4096);
}

static void
environment_socket_mode_is_octal(void **state)
{
	struct fx *f = *state;

	setenv("GATEHOUSE_SOCKET_MODE", "0666", 1);
	assert_int_equal(load(f, NULL), 0);
	assert_int_equal(f->c.socket_mode, 0666);
}

static void
empty_environment_value_is_ignored(void **state)
{
	struct fx *f = *state;

	setenv("GATEHOUSE_WORKERS", "", 1);
	assert_int_equal(load(f, "workers = 3\n"), 0);
	assert_int_equal(f->c.workers, 3);
}

static void
invalid_environment_value_is_error_naming_key(void **state)
{
	struct fx *f = *state;

	setenv("GATEHOUSE_JSON_MAX_NODES", "lots", 1);
	assert_int_equal(load(f, NULL), -1);
	assert_non_null(strstr(f->err, "json_max_nodes"));
}

static void
free_clears_strings_and_may_repeat(void **state)
{
	struct fx *f = *state;

	assert_int_equal(load(f, NULL), 0);
	config_free(&f->c);
	assert_null(f->c.database_url);
	assert_null(f->c.socket);
	assert_null(f->c.sql_dir);
	config_free(&f->c);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(defaults_apply_without_file),
		T(file_values_replace_defaults),
		T(comments_blank_lines_and_indentation_are_ignored),
		T(crlf_line_endings_are_accepted),
		T(last_line_without_newline_is_read),
		T(later_lines_override_earlier_ones),
		T(empty_file_keeps_defaults),
		T(unknown_key_is_error_naming_it_and_line),
		T(line_without_equals_is_error_with_line),
		T(keys_are_case_sensitive),
		T(number_below_range_is_error_naming_key),
		T(number_above_range_is_error_naming_key),
		T(range_bounds_are_inclusive),
		T(max_body_below_one_kilobyte_is_error),
		T(request_timeout_is_bounded),
		T(negative_number_is_error),
		T(long_setting_accepts_long_max),
		T(overflowing_number_is_error),
		T(non_numeric_value_is_error_naming_key),
		T(empty_numeric_value_is_error),
		T(socket_mode_is_octal),
		T(socket_mode_without_leading_zero_is_still_octal),
		T(non_octal_socket_mode_is_error),
		T(socket_mode_above_0777_is_error),
		T(missing_file_is_error_naming_path),
		T(environment_overrides_file),
		T(environment_overrides_defaults),
		T(environment_socket_mode_is_octal),
		T(empty_environment_value_is_ignored),
		T(invalid_environment_value_is_error_naming_key),
		T(free_clears_strings_and_may_repeat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
