/* gatehousectl.c: the operator CLI — migrations, orgs, users, keys, the sweep and the mailer. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/config.h"
#include "gatehouse/core.h"
#include "gatehouse/db.h"
#include "gatehouse/keys.h"
#include "gatehouse/log.h"
#include "gatehouse/mailer.h"
#include "gatehouse/mime.h"
#include "gatehouse/org.h"
#include "gatehouse/smtp.h"
#include "gatehouse/users.h"

/* Exit codes scripts can rely on (README lists them). */
enum {
	EX_OK = 0,
	EX_FAIL = 1,
	EX_USAGE = 2,
	EX_NOTFOUND = 3,
	EX_EXISTS = 4,
	EX_UNAVAILABLE = 5,
	EX_INVALID = 6,
};

static struct config cfg;

static int
usage(void)
{
	fprintf(stderr,
	    "usage: gatehousectl [--config FILE] COMMAND\n"
	    "  migrate\n"
	    "  org create NAME [--tier TIER]\n"
	    "  user create --org NAME --email EMAIL [--username U] [--level guest|user|admin|super]\n"
	    "  key create --org NAME --user EMAIL [--name LABEL] [--expires-in SECONDS]\n"
	    "  key revoke --org NAME KEY_ID        (KEY_ID: gh_<org>k<id>)\n"
	    "  sweep                               (disable inactive users, drop stale tokens)\n"
	    "  mailer [--once]                     (deliver the e-mail outbox over SMTP)\n");
	return EX_USAGE;
}

static int
fail(const struct core_err *e)
{
	static const int codes[CORE__MAX] = {
		[CORE_OK] = EX_OK, [CORE_INVALID] = EX_INVALID, [CORE_UNAUTHORIZED] = EX_FAIL,
		[CORE_FORBIDDEN] = EX_FAIL, [CORE_NOT_FOUND] = EX_NOTFOUND,
		[CORE_CONFLICT] = EX_EXISTS, [CORE_PRECONDITION] = EX_FAIL, [CORE_TOO_LARGE] = EX_INVALID,
		[CORE_UNAVAILABLE] = EX_UNAVAILABLE, [CORE_INTERNAL] = EX_FAIL,
	};

	if (e->field[0])
		fprintf(stderr, "gatehousectl: %s: %s\n", e->field, e->msg);
	else
		fprintf(stderr, "gatehousectl: %s\n", e->msg);
	return codes[e->status];
}

/* Looks up --name VALUE pairs in argv[from..]; NULL when absent. */
static const char *
opt(int argc, char **argv, int from, const char *name)
{
	for (int i = from; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

/* Every argument after `from` must be a known --flag with a value. */
static int
opts_ok(int argc, char **argv, int from, const char *const *known)
{
	for (int i = from; i < argc; i += 2) {
		bool found = false;

		for (const char *const *k = known; *k; k++)
			found |= strcmp(argv[i], *k) == 0;
		if (!found || i + 1 >= argc) {
			fprintf(stderr, "gatehousectl: unexpected argument %s\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static int
cmd_org_create(int argc, char **argv)
{
	static const char *const known[] = { "--tier", NULL };
	struct core_err	e;
	int64_t		id;

	if (argc < 1 || opts_ok(argc, argv, 1, known) != 0)
		return usage();
	if (org_create(argv[0], opt(argc, argv, 1, "--tier"), &id, &e) != CORE_OK)
		return fail(&e);
	printf("%lld\n", (long long)id);
	return EX_OK;
}

static int
with_org(const char *name, struct core_ctx *c, struct arena *a, struct core_err *e)
{
	memset(c, 0, sizeof(*c));
	c->arena = a;
	c->request_id = "gatehousectl";
	if (name == NULL)
		return core_fail(e, CORE_INVALID, "--org", "--org is required");
	return org_find(name, &c->org_id, e);
}

static int
cmd_user_create(int argc, char **argv)
{
	static const char *const known[] = { "--org", "--email", "--username", "--level", NULL };
	struct core_ctx		c;
	struct core_err		e;
	struct arena		a;
	struct user_create	req;
	struct user		u;
	const char		*email = opt(argc, argv, 0, "--email");
	const char		*username = opt(argc, argv, 0, "--username");
	const char		*level = opt(argc, argv, 0, "--level");
	int			rc = EX_OK;

	if (opts_ok(argc, argv, 0, known) != 0)
		return usage();
	if (email == NULL) {
		fprintf(stderr, "gatehousectl: --email is required\n");
		return EX_USAGE;
	}
	arena_init(&a, 0);
	memset(&req, 0, sizeof(req));
	/* An operator-made account signs in with API keys until it gets a password. */
	req.keys_only = true;
	if (user_patch_set(&a, &req.p, UF_EMAIL, email, &e) != CORE_OK ||
	    (username && user_patch_set(&a, &req.p, UF_USERNAME, username, &e) != CORE_OK) ||
	    (level && user_patch_set(&a, &req.p, UF_ACCESS_LEVEL, level, &e) != CORE_OK) ||
	    with_org(opt(argc, argv, 0, "--org"), &c, &a, &e) != CORE_OK ||
	    users_create(&c, &req, &u, &e) != CORE_OK)
		rc = fail(&e);
	else
		printf("%lld\n", (long long)u.id);
	arena_free(&a);
	return rc;
}

static int
cmd_key_create(int argc, char **argv)
{
	static const char *const known[] = { "--org", "--user", "--name", "--expires-in", NULL };
	struct core_ctx	c;
	struct core_err	e;
	struct arena	a;
	const char	*email = opt(argc, argv, 0, "--user");
	const char	*exp = opt(argc, argv, 0, "--expires-in");
	char		key[APIKEY_MAX], *end;
	struct api_key	k;
	struct user_ref	who = { UKEY_EMAIL, email };
	int64_t		expires_in = 0;
	int		rc = EX_OK;

	if (opts_ok(argc, argv, 0, known) != 0)
		return usage();
	if (exp != NULL) {
		expires_in = strtoll(exp, &end, 10);
		if (*exp == '\0' || *end != '\0' || expires_in <= 0) {
			fprintf(stderr, "gatehousectl: --expires-in: expected a positive number of seconds\n");
			return EX_INVALID;
		}
	}
	if (email == NULL) {
		fprintf(stderr, "gatehousectl: --user is required\n");
		return EX_USAGE;
	}
	arena_init(&a, 0);
	if (with_org(opt(argc, argv, 0, "--org"), &c, &a, &e) != CORE_OK ||
	    keys_create(&c, &who, opt(argc, argv, 0, "--name"), expires_in, key, &k, &e) != CORE_OK)
		rc = fail(&e);
	else
		printf("%s\n", key);	/* shown once; only its digest is stored */
	OPENSSL_cleanse(key, sizeof(key));
	arena_free(&a);
	return rc;
}

static int
cmd_key_revoke(int argc, char **argv)
{
	struct core_ctx	c;
	struct core_err	e;
	struct arena	a;
	int		rc = EX_OK;

	if (argc != 3 || strcmp(argv[0], "--org") != 0)
		return usage();
	arena_init(&a, 0);
	if (with_org(argv[1], &c, &a, &e) != CORE_OK || keys_revoke(&c, argv[2], &e) != CORE_OK)
		rc = fail(&e);
	arena_free(&a);
	return rc;
}

static int
cmd_sweep(void)
{
	struct sweep_result	res;
	struct core_err		e;

	if (org_sweep(&res, &e) != CORE_OK)
		return fail(&e);
	printf("orgs=%ld disabled=%ld tokens_expired=%ld\n", res.orgs, res.disabled, res.tokens_expired);
	return EX_OK;
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static enum mail_outcome
smtp_transport(void *arg, const char *from, const char *to, const char *msg, size_t len,
    char *err, size_t errlen)
{
	switch (smtp_send(arg, from, to, msg, len, err, errlen)) {
	case SMTP_SENT:		return MAIL_SENT;
	case SMTP_PERMANENT:	return MAIL_PERMANENT;
	default:		return MAIL_TEMPORARY;
	}
}

/* The mailer's settings, each refused by its key's name before anything starts. */
static int
mailer_config(struct smtp_opts *so, struct mailer_opts *mo)
{
	const char *bad = NULL, *why = "";

	memset(so, 0, sizeof(*so));
	if (!mail_public_url_ok(cfg.public_url))
		bad = "public_url", why = "an http:// or https:// URL links are built on, "
		    "without a query or fragment";
	else if (!mime_addr_ok(cfg.smtp_from))
		bad = "smtp_from", why = "the sender's address (ASCII, user@domain)";
	else if (smtp_url_ok(cfg.smtp_url) != 0)
		bad = "smtp_url", why = "smtp://host[:port] or smtps://host[:port], "
		    "without credentials (use smtp_user and smtp_password)";
	else if (smtp_tls_parse(cfg.smtp_starttls, &so->tls) != 0)
		bad = "smtp_starttls", why = "require, try or off";
	if (bad != NULL) {
		fprintf(stderr, "gatehousectl: %s: expected %s\n", bad, why);
		return -1;
	}
	so->url = cfg.smtp_url;
	so->user = cfg.smtp_user;
	so->password = cfg.smtp_password;
	so->ca_file = cfg.smtp_ca_file;
	so->timeout = cfg.smtp_timeout;
	memset(mo, 0, sizeof(*mo));
	mo->site.public_url = cfg.public_url;
	mo->site.from_addr = cfg.smtp_from;
	mo->retry_max = cfg.mailer_retry_max;
	mo->stop = &stop;
	return 0;
}

static int
cmd_mailer(int argc, char **argv)
{
	struct smtp_opts	 so;
	struct mailer_opts	 mo;
	struct mailer_transport	 t;
	struct mailer_stats	 stats = { 0, 0, 0 };
	struct sigaction	 sa;
	struct smtp		*relay;
	enum log_level		 l;
	int			 rc;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--once") != 0))
		return usage();
	if (mailer_config(&so, &mo) != 0)
		return EX_USAGE;
	mo.once = argc == 1;
	if (log_level_parse(cfg.log_level, &l) == 0)
		log_set_level(l);
	if (so.tls == SMTP_TLS_OFF && so.user != NULL)
		log_warn("smtp_starttls is off: the relay's password crosses the network in the clear");
	/* No SA_RESTART: a signal ends the wait for mail at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((relay = smtp_new(&so)) == NULL) {
		fprintf(stderr, "gatehousectl: mailer: libcurl could not start\n");
		return EX_FAIL;
	}
	t.send = smtp_transport;
	t.arg = relay;
	log_info("mailer started: relay %s, STARTTLS %s", so.url, cfg.smtp_starttls);
	rc = mailer_run(&mo, &t, &stats);
	smtp_free(relay);
	log_info("mailer stopped: sent=%ld retried=%ld failed=%ld", stats.sent, stats.retried,
	    stats.failed);
	if (mo.once)
		printf("sent=%ld retried=%ld failed=%ld\n", stats.sent, stats.retried, stats.failed);
	return rc == 0 ? EX_OK : EX_UNAVAILABLE;
}

int
main(int argc, char *argv[])
{
	const char	*cfg_path = getenv("GATEHOUSE_CONFIG");
	char		 err[256];
	int		 i = 1, rc;

	if (argc > 2 && strcmp(argv[1], "--config") == 0) {
		cfg_path = argv[2];
		i = 3;
	}
	if (i >= argc)
		return usage();
	if (config_load(&cfg, cfg_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatehousectl: configuration: %s\n", err);
		return EX_USAGE;
	}
	log_set_level(LOG_WARN);
	db_init(cfg.database_url);

	if (strcmp(argv[i], "migrate") == 0 && argc == i + 1) {
		if (cfg.admin_database_url == NULL) {
			fprintf(stderr, "gatehousectl: migrate needs admin_database_url "
			    "(GATEHOUSE_ADMIN_DATABASE_URL): the owner role's conninfo\n");
			rc = EX_USAGE;
		} else
			rc = db_migrate(cfg.admin_database_url, cfg.sql_dir, true) == 0 ? EX_OK : EX_FAIL;
	} else if (argc >= i + 2 && strcmp(argv[i], "org") == 0 && strcmp(argv[i + 1], "create") == 0)
		rc = cmd_org_create(argc - i - 2, argv + i + 2);
	else if (argc >= i + 2 && strcmp(argv[i], "user") == 0 && strcmp(argv[i + 1], "create") == 0)
		rc = cmd_user_create(argc - i - 2, argv + i + 2);
	else if (argc >= i + 2 && strcmp(argv[i], "key") == 0 && strcmp(argv[i + 1], "create") == 0)
		rc = cmd_key_create(argc - i - 2, argv + i + 2);
	else if (strcmp(argv[i], "sweep") == 0 && argc == i + 1)
		rc = cmd_sweep();
	else if (strcmp(argv[i], "mailer") == 0)
		rc = cmd_mailer(argc - i - 1, argv + i + 1);
	else if (argc >= i + 2 && strcmp(argv[i], "key") == 0 && strcmp(argv[i + 1], "revoke") == 0)
		rc = cmd_key_revoke(argc - i - 2, argv + i + 2);
	else
		rc = usage();
	db_close();
	config_free(&cfg);
	return rc;
}
