/* gatehouse.c: the FastCGI program — prefork server, spawned worker, or one CGI request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "gatehouse/api.h"
#include "gatehouse/base64.h"
#include "gatehouse/config.h"
#include "gatehouse/db.h"
#include "gatehouse/log.h"
#include "gatehouse/request.h"
#include "gatehouse/router.h"
#include "gatehouse/seal.h"
#include "gatehouse/server.h"
#include "gatehouse/users.h"

static struct config		 cfg;
static const char		*cfg_path;
static struct route_table	 routes;
static struct parse_limits	 limits;

static void
apply_config(void)
{
	enum log_level l;

	if (log_level_parse(cfg.log_level, &l) == 0)
		log_set_level(l);
	limits.max_fields = cfg.max_fields;
	limits.max_field_len = cfg.max_field_len;
	limits.max_depth = cfg.json_max_depth;
	limits.max_nodes = cfg.json_max_nodes;
}

/*
 * The at-rest keys of TOTP secrets, from the files the configuration names:
 * read here, by the master before any child forks, so a worker never opens
 * them. A refusal says which file and why.
 */
static int
keys_load(const struct config *c, bool say)
{
	unsigned char	head[SEAL_HEAD_LEN];
	char		err[512], id[2 * SEAL_KID_LEN + 1];

	if (seal_keys_load(c->secret_key_file, c->secret_key_old_file, err, sizeof(err)) != 0) {
		log_error("secret key: %s", err);
		return -1;
	}
	/* The id names the key in blobs and in the runner's log; it tells nothing of the key. */
	seal_head(head);
	base16_encode(head + 1, SEAL_KID_LEN, id);
	if (say)
		log_info("TOTP secrets seal under key %s%s", id,
		    c->secret_key_old_file ? "; the old key opens only" : "");
	return 0;
}

static int
worker_start(void)
{
	db_init(cfg.database_url);	/* connects on the first request that needs it */
	return 0;
}

static void
worker_stop(void)
{
	db_close();
}

static void
handle(struct request *r)
{
	r->deadline = r->started;
	r->deadline.tv_sec += cfg.request_timeout;
	router_dispatch(&routes, r, cfg.max_body, &limits);
	db_request_end();
}

/* The job runner's child: a connection of its own, no FastCGI connection held. */
static int
runner(volatile sig_atomic_t *stop)
{
	int rc;

#ifdef __linux__
	prctl(PR_SET_NAME, "gh-jobs");	/* for ps and top: which child it is */
#endif
	db_init(cfg.database_url);
	rc = api_jobs_run(stop, &limits);
	db_close();
	return rc;
}

static int
reload(struct server_opts *o)
{
	struct config	nc;
	char		err[256];

	if (config_load(&nc, cfg_path, err, sizeof(err)) != 0 ||
	    api_webauthn_site(nc.public_url, nc.webauthn_rp_id, err, sizeof(err)) != 0) {
		log_error("configuration: %s", err);
		config_free(&nc);
		/* The site stays the one of the configuration kept. */
		(void)api_webauthn_site(cfg.public_url, cfg.webauthn_rp_id, err, sizeof(err));
		return -1;
	}
	/* New key files take effect here (a rotation); on a refusal the running keys stay. */
	if (keys_load(&nc, true) != 0) {
		config_free(&nc);
		return -1;
	}
	if (strcmp(nc.socket, cfg.socket) != 0)
		log_warn("socket changes need a restart; keeping %s", cfg.socket);
	free(nc.socket);
	nc.socket = cfg.socket;
	cfg.socket = NULL;
	config_free(&cfg);
	cfg = nc;
	apply_config();
	o->socket = cfg.socket;
	o->socket_mode = cfg.socket_mode;
	o->workers = cfg.workers;
	o->max_requests = cfg.max_requests;
	return 0;
}

static const struct server_app app = {
	.worker_start = worker_start,
	.handle = handle,
	.worker_stop = worker_stop,
	.reload = reload,
	.runner = runner,
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gatehouse serve [--config FILE] [--socket PATH|HOST:PORT] [--workers N]\n"
	    "                       [--max-requests N]\n"
	    "       gatehouse [--config FILE]   (under a FastCGI spawner, or as plain CGI)\n"
	    "Settings come from FILE and GATEHOUSE_* environment variables; see README.\n");
}

int
main(int argc, char *argv[])
{
	struct server_opts	 o;
	char			 err[256];
	bool			 serve = false;
	const char		*sock = NULL, *workers = NULL, *maxreq = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "serve") == 0 && i == 1)
			serve = true;
		else if (strcmp(a, "--config") == 0 && next)
			cfg_path = argv[++i];
		else if (strcmp(a, "--socket") == 0 && next)
			sock = argv[++i];
		else if (strcmp(a, "--workers") == 0 && next)
			workers = argv[++i];
		else if (strcmp(a, "--max-requests") == 0 && next)
			maxreq = argv[++i];
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (cfg_path == NULL)
		cfg_path = getenv("GATEHOUSE_CONFIG");
	/* Command-line flags override the file and environment, through the same checks. */
	if (sock)
		setenv("GATEHOUSE_SOCKET", sock, 1);
	if (workers)
		setenv("GATEHOUSE_WORKERS", workers, 1);
	if (maxreq)
		setenv("GATEHOUSE_MAX_REQUESTS", maxreq, 1);
	if (config_load(&cfg, cfg_path, err, sizeof(err)) != 0 ||
	    api_webauthn_site(cfg.public_url, cfg.webauthn_rp_id, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatehouse: configuration: %s\n", err);
		return 2;
	}
	apply_config();
	if (getenv("GATEHOUSE_PASSWORD_COST") != NULL)
		log_warn("GATEHOUSE_PASSWORD_COST is set: passwords are hashed at test cost");
	if (api_routes(api_surfaces, &routes) != 0)
		return 1;
	if (!serve && !server_inherited_socket() && getenv("GATEWAY_INTERFACE") == NULL) {
		usage(stderr);
		return 2;
	}
	/* Every way of serving signs people in, so every one needs the key; a CGI run says nothing. */
	if (keys_load(&cfg, serve || server_inherited_socket()) != 0)
		return 2;

	if (serve) {
		/* The key of the jobs' passwords: the master's, inherited by every child, never stored. */
		if (seal_init() != 0) {
			log_error("no random key for jobs");
			return 1;
		}
		/* Without it each worker reads every user afresh, which is only slower. */
		if (cfg.user_cache && user_cache_init() != 0)
			log_warn("no shared memory for the user cache: %s", strerror(errno));
		o.socket = cfg.socket;
		o.socket_mode = cfg.socket_mode;
		o.workers = cfg.workers;
		o.max_requests = cfg.max_requests;
		return server_prefork(&o, &app);
	}
	if (server_inherited_socket())
		return server_single(0, cfg.max_requests, &app);	/* no runner: no jobs */
	return server_cgi(&app);
}
