/* config.c: one table of settings, read from a file and the environment. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gatehouse/config.h"

enum cfg_type { CFG_STR, CFG_INT, CFG_LONG, CFG_SIZE, CFG_MODE };

struct cfg_key {
	const char	*name;		/* file key; env is GATEHOUSE_ + upper(name) */
	enum cfg_type	 type;
	size_t		 off;
	long		 min, max;
};

#define K(n, t, f, lo, hi) { n, t, offsetof(struct config, f), lo, hi }
static const struct cfg_key keys[] = {
	K("database_url",	CFG_STR,  database_url,		0, 0),
	K("admin_database_url",	CFG_STR,  admin_database_url,	0, 0),
	K("socket",		CFG_STR,  socket,		0, 0),
	K("socket_mode",	CFG_MODE, socket_mode,		0, 0777),
	K("workers",		CFG_INT,  workers,		1, 1024),
	K("max_requests",	CFG_LONG, max_requests,		0, LONG_MAX),
	K("max_body",		CFG_SIZE, max_body,		1024, 256L << 20),
	K("request_timeout",	CFG_INT,  request_timeout,	1, 3600),
	K("user_cache",		CFG_INT,  user_cache,		0, 1),
	K("max_fields",		CFG_SIZE, max_fields,		1, 100000),
	K("max_field_len",	CFG_SIZE, max_field_len,	64, 16L << 20),
	K("json_max_depth",	CFG_INT,  json_max_depth,	2, 256),
	K("json_max_nodes",	CFG_SIZE, json_max_nodes,	16, 10000000),
	K("sql_dir",		CFG_STR,  sql_dir,		0, 0),
	K("log_level",		CFG_STR,  log_level,		0, 0),
	K("public_url",		CFG_STR,  public_url,		0, 0),
	K("secret_key_file",	CFG_STR,  secret_key_file,	0, 0),
	K("secret_key_old_file", CFG_STR, secret_key_old_file,	0, 0),
	K("webauthn_rp_id",	CFG_STR,  webauthn_rp_id,	0, 0),
	K("smtp_url",		CFG_STR,  smtp_url,		0, 0),
	K("smtp_starttls",	CFG_STR,  smtp_starttls,	0, 0),
	K("smtp_user",		CFG_STR,  smtp_user,		0, 0),
	K("smtp_password",	CFG_STR,  smtp_password,	0, 0),
	K("smtp_from",		CFG_STR,  smtp_from,		0, 0),
	K("smtp_ca_file",	CFG_STR,  smtp_ca_file,		0, 0),
	K("smtp_timeout",	CFG_INT,  smtp_timeout,		1, 600),
	K("mailer_retry_max",	CFG_INT,  mailer_retry_max,	1, 86400),
};
#undef K

static int
cfg_set(struct config *c, const struct cfg_key *k, const char *v, char *err, size_t errlen)
{
	void	*p = (char *)c + k->off;
	char	*end;
	long	 n;

	if (k->type == CFG_STR) {
		char *s = strdup(v);
		if (s == NULL) {
			snprintf(err, errlen, "%s: out of memory", k->name);
			return -1;
		}
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, k->type == CFG_MODE ? 8 : 10);
	if (errno || end == v || *end != '\0' || n < k->min || n > k->max) {
		snprintf(err, errlen, "%s: expected %s from %ld to %ld, got \"%.64s\"",
		    k->name, k->type == CFG_MODE ? "an octal mode" : "a number",
		    k->min, k->max, v);
		return -1;
	}
	switch (k->type) {
	case CFG_INT:
	case CFG_MODE:	*(int *)p = (int)n; break;
	case CFG_LONG:	*(long *)p = n; break;
	case CFG_SIZE:	*(size_t *)p = (size_t)n; break;
	case CFG_STR:	break;
	}
	return 0;
}

static const struct cfg_key *
cfg_find(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
cfg_file(struct config *c, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	 line[4096];
	int	 lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s = trim(line), *eq, *name, *val;
		const struct cfg_key *k;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		name = trim(s);
		val = trim(eq + 1);
		if ((k = cfg_find(name)) == NULL) {
			snprintf(err, errlen, "%s:%d: unknown setting \"%.64s\"", path, lineno, name);
			rc = -1;
		} else
			rc = cfg_set(c, k, val, err, errlen);
	}
	fclose(f);
	return rc;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	long	 ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->socket_mode = 0660;
	c->workers = ncpu > 0 ? (int)(2 * ncpu) : 4;
	c->max_requests = 100000;
	c->max_body = 1 << 20;
	/* Below the proxy's 30 s (fastcgi_read_timeout), so it never gives up first. */
	c->request_timeout = 25;
	c->user_cache = 1;
	c->max_fields = 256;
	c->max_field_len = 64 * 1024;
	c->json_max_depth = 32;
	c->json_max_nodes = 100000;
	c->smtp_timeout = 30;
	c->mailer_retry_max = 600;
	if (cfg_set(c, cfg_find("socket"), "/run/gatehouse/gatehouse.sock", err, errlen) ||
	    cfg_set(c, cfg_find("smtp_url"), "smtp://localhost:25", err, errlen) ||
	    cfg_set(c, cfg_find("smtp_starttls"), "require", err, errlen) ||
	    cfg_set(c, cfg_find("sql_dir"), GATEHOUSE_SQLDIR, err, errlen) ||
	    cfg_set(c, cfg_find("log_level"), "info", err, errlen) ||
	    cfg_set(c, cfg_find("database_url"), "dbname=gatehouse", err, errlen))
		return -1;

	if (path != NULL && cfg_file(c, path, err, errlen) != 0)
		return -1;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char env[64] = "GATEHOUSE_";
		const char *v;
		size_t j, n = strlen(env);

		for (j = 0; keys[i].name[j] && n + j < sizeof(env) - 1; j++)
			env[n + j] = (char)toupper((unsigned char)keys[i].name[j]);
		env[n + j] = '\0';
		if ((v = getenv(env)) != NULL && *v != '\0' &&
		    cfg_set(c, &keys[i], v, err, errlen) != 0)
			return -1;
	}
	return 0;
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].type == CFG_STR) {
			char **p = (char **)((char *)c + keys[i].off);
			free(*p);
			*p = NULL;
		}
}
