/* test-mail.c: the message templates, the whole message of an outbox row, and the mailer's back-off. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/buf.h"
#include "gatehouse/mail.h"
#include "gatehouse/mailer.h"

#define TOKEN	"gt_12k345_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k"
#define SITE	"https://gatehouse.example"

struct out {
	struct buf subject, text, html;
};

static int
setup(void **state)
{
	static struct out o;

	buf_init(&o.subject);
	buf_init(&o.text);
	buf_init(&o.html);
	*state = &o;
	return 0;
}

static int
teardown(void **state)
{
	struct out *o = *state;

	buf_free(&o->subject);
	buf_free(&o->text);
	buf_free(&o->html);
	return 0;
}

static struct mail_vars
vars(void)
{
	struct mail_vars v;

	memset(&v, 0, sizeof(v));
	v.org_name = "Acme";
	v.username = "ada";
	v.first_name = "Ada";
	v.token = TOKEN;
	v.expires_at = "2024-03-03T13:05:09.000Z";
	return v;
}

static int
render(struct out *o, enum mail_template t, const struct mail_vars *v, const char **why)
{
	buf_reset(&o->subject);
	buf_reset(&o->text);
	buf_reset(&o->html);
	return mail_render(t, v, SITE, &o->subject, &o->text, &o->html, why);
}

static void
templates_are_named_as_the_outbox_names_them(void **state)
{
	static const char *const names[] = { "registration", "password_reset", "welcome",
		"account_disabled" };
	enum mail_template t;

	(void)state;
	for (int i = 0; i < MAIL__MAX; i++) {
		assert_int_equal(mail_template_parse(names[i], &t), 0);
		assert_int_equal(t, i);
		assert_string_equal(mail_template_name(t), names[i]);
	}
	assert_int_equal(mail_template_parse("Registration", &t), -1);
	assert_int_equal(mail_template_parse("", &t), -1);
	assert_int_equal(mail_template_parse(NULL, &t), -1);
}

static void
an_invitation_carries_the_org_the_link_and_its_expiry(void **state)
{
	struct out		*o = *state;
	struct mail_vars	 v = vars();
	const char		*why;

	assert_int_equal(render(o, MAIL_REGISTRATION, &v, &why), 0);
	assert_string_equal(buf_cstr(&o->subject), "Your invitation to Acme");
	assert_non_null(strstr(o->text.data, "Hello Ada,\n"));
	assert_non_null(strstr(o->text.data, "invited to Acme"));
	assert_non_null(strstr(o->text.data, "\n" SITE "/register?token=" TOKEN "\n"));
	assert_non_null(strstr(o->text.data, "expires on 2024-03-03 13:05 UTC"));
	assert_non_null(strstr(o->html.data, "<a href=\"" SITE "/register?token=" TOKEN "\">"));
	assert_non_null(strstr(o->html.data, "<html lang=\"en\">"));
}

static void
a_reset_links_to_the_reset_page(void **state)
{
	struct out		*o = *state;
	struct mail_vars	 v = vars();
	const char		*why;

	/* A public_url with a path and a trailing slash joins without a double slash. */
	assert_int_equal(mail_render(MAIL_PASSWORD_RESET, &v, SITE "/gh/", &o->subject, &o->text,
	    &o->html, &why), 0);
	assert_string_equal(buf_cstr(&o->subject), "Reset your Acme password");
	assert_non_null(strstr(o->text.data, SITE "/gh/reset?token=" TOKEN "\n"));
	assert_non_null(strstr(o->text.data, "your password stays as it is"));
}

static void
names_are_escaped_in_html_and_kept_in_text(void **state)
{
	struct out		*o = *state;
	struct mail_vars	 v = vars();
	const char		*why;

	v.org_name = "<b>Smith & \"Sons\"</b>";
	v.first_name = "<img src=x onerror=alert(1)>";
	assert_int_equal(render(o, MAIL_WELCOME, &v, &why), 0);
	assert_null(strstr(o->html.data, "<b>"));
	assert_null(strstr(o->html.data, "<img"));
	assert_non_null(strstr(o->html.data, "&lt;b&gt;Smith &amp; &quot;Sons&quot;&lt;/b&gt;"));
	assert_non_null(strstr(o->html.data, "Hello &lt;img src=x onerror=alert(1)&gt;,"));
	assert_non_null(strstr(o->text.data, "Hello <img src=x onerror=alert(1)>,\n"));
	assert_string_equal(buf_cstr(&o->subject), "Welcome to <b>Smith & \"Sons\"</b>");
	/* The welcome links to the site itself, with no token. */
	assert_non_null(strstr(o->text.data, SITE "/\n"));
	assert_null(strstr(o->text.data, "token"));
}

static void
without_a_first_name_the_username_is_greeted(void **state)
{
	struct out		*o = *state;
	struct mail_vars	 v = vars();
	const char		*why;

	v.first_name = "";
	assert_int_equal(render(o, MAIL_REGISTRATION, &v, &why), 0);
	assert_non_null(strstr(o->text.data, "Hello ada,\n"));
	v.first_name = NULL;
	v.expires_at = NULL;
	assert_int_equal(render(o, MAIL_REGISTRATION, &v, &why), 0);
	assert_non_null(strstr(o->text.data, "This link works once.\n"));
}

static void
a_disabled_account_is_told_why_without_a_link(void **state)
{
	struct out		*o = *state;
	struct mail_vars	 v = vars();
	const char		*why;

	v.token = NULL;
	v.reason = "inactivity";
	assert_int_equal(render(o, MAIL_ACCOUNT_DISABLED, &v, &why), 0);
	assert_string_equal(buf_cstr(&o->subject), "Your Acme account has been disabled");
	assert_non_null(strstr(o->text.data, "has been disabled because it has not been used"));
	assert_null(strstr(o->text.data, "http"));
	v.reason = "admin";
	assert_int_equal(render(o, MAIL_ACCOUNT_DISABLED, &v, &why), 0);
	assert_non_null(strstr(o->text.data, "has been disabled by an administrator."));
}

static void
a_link_message_without_a_sound_token_cannot_be_rendered(void **state)
{
	struct out		*o = *state;
	struct mail_vars	 v = vars();
	const char		*why = NULL;

	v.token = NULL;
	assert_int_equal(render(o, MAIL_REGISTRATION, &v, &why), -1);
	assert_non_null(why);
	/* Anything a URL or an attribute would read differently is not a token. */
	v.token = "gt_1k2_\"><script>alert(1)</script>abcdefghijklmnopqrstu";
	assert_int_equal(render(o, MAIL_PASSWORD_RESET, &v, &why), -1);
	v.token = "gh_12k345_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k";	/* an API key */
	assert_int_equal(render(o, MAIL_PASSWORD_RESET, &v, &why), -1);
	v = vars();
	v.org_name = "";
	assert_int_equal(render(o, MAIL_REGISTRATION, &v, &why), -1);
	assert_int_equal(render(o, MAIL__MAX, &v, &why), -1);
}

static void
public_urls_links_can_be_built_on(void **state)
{
	static const char *const good[] = { "https://gh.example", "http://127.0.0.1:8080",
		"https://example.com/gatehouse/", NULL };
	static const char *const bad[] = { "", "gh.example", "ftp://gh.example", "https://",
		"https:///x", "https://gh.example/?a=b", "https://gh.example/#x",
		"https://gh.example/\"onload", "https://gh .example", "javascript:alert(1)", NULL };

	(void)state;
	for (int i = 0; good[i]; i++)
		assert_true(mail_public_url_ok(good[i]));
	for (int i = 0; bad[i]; i++)
		if (mail_public_url_ok(bad[i]))
			fail_msg("took %s", bad[i]);
	assert_false(mail_public_url_ok(NULL));
}

static void
a_composed_message_is_the_same_each_time_with_a_message_id_from_the_row(void **state)
{
	struct mail_item	 it;
	struct mail_site	 site = { SITE, "noreply@mail.acme.example" };
	struct buf		 a, b;
	const char		*why;

	(void)state;
	memset(&it, 0, sizeof(it));
	it.org_id = 12;
	it.id = 777;
	it.template = MAIL_REGISTRATION;
	it.to_addr = "ada@example.com";
	it.created = 1709211909;
	it.vars = vars();
	it.vars.org_name = "Müller & Söhne";
	buf_init(&a);
	buf_init(&b);
	assert_int_equal(mail_compose(&a, &it, &site, &why), 0);
	assert_int_equal(mail_compose(&b, &it, &site, &why), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_non_null(strstr(a.data, "\r\nMessage-ID: <gatehouse.12.777@mail.acme.example>\r\n"));
	assert_non_null(strstr(a.data, "\r\nDate: Thu, 29 Feb 2024 13:05:09 +0000\r\n"));
	assert_non_null(strstr(a.data, "From: =?UTF-8?B?"));	/* the org's name, encoded */
	assert_non_null(strstr(a.data, " <noreply@mail.acme.example>\r\nTo: <ada@example.com>\r\n"));
	/* A non-ASCII address would need SMTPUTF8: it is never sent. */
	it.to_addr = "zoë@example.com";
	buf_reset(&a);
	assert_int_equal(mail_compose(&a, &it, &site, &why), -1);
	assert_string_equal(why, "to address");
	buf_free(&a);
	buf_free(&b);
}

static void
the_mailer_backs_off_doubling_up_to_its_limit(void **state)
{
	static const int want[] = { 1, 2, 4, 8, 16, 32, 60, 60 };

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(mailer_backoff(i + 1, 60), want[i]);
	assert_int_equal(mailer_backoff(1000000, 600), 600);
	assert_int_equal(mailer_backoff(5, 2), 2);
	assert_int_equal(mailer_backoff(1, 2), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(templates_are_named_as_the_outbox_names_them),
		cmocka_unit_test_setup_teardown(an_invitation_carries_the_org_the_link_and_its_expiry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(a_reset_links_to_the_reset_page, setup, teardown),
		cmocka_unit_test_setup_teardown(names_are_escaped_in_html_and_kept_in_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(without_a_first_name_the_username_is_greeted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(a_disabled_account_is_told_why_without_a_link, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(a_link_message_without_a_sound_token_cannot_be_rendered,
		    setup, teardown),
		cmocka_unit_test(public_urls_links_can_be_built_on),
		cmocka_unit_test(a_composed_message_is_the_same_each_time_with_a_message_id_from_the_row),
		cmocka_unit_test(the_mailer_backs_off_doubling_up_to_its_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
