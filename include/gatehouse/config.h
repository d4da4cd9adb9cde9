/* config.h: settings from a key = value file, overridden by GATEHOUSE_* environment variables. */
#ifndef GATEHOUSE_CONFIG_H
#define GATEHOUSE_CONFIG_H

#include <stddef.h>

struct config {
	char	*database_url;		/* service role conninfo */
	char	*admin_database_url;	/* owner role conninfo, for migrate only */
	char	*socket;		/* PATH or HOST:PORT */
	int	 socket_mode;		/* for a unix socket */
	int	 workers;
	long	 max_requests;		/* recycle a worker after this many; 0 = never */
	size_t	 max_body;		/* bytes; larger bodies get 413 */
	int	 request_timeout;	/* seconds a request may work before it is undone */
	int	 user_cache;		/* 1: workers cache users read by uid (user_cache.c) */
	size_t	 max_fields;		/* parameters per request */
	size_t	 max_field_len;		/* bytes per name or value */
	int	 json_max_depth;
	size_t	 json_max_nodes;
	char	*sql_dir;		/* migrations */
	char	*log_level;
	char	*public_url;		/* base URL for links in e-mail; security keys' origin */
	char	*webauthn_rp_id;	/* security keys' RP ID; NULL: public_url's host */
	char	*secret_key_file;	/* the key that seals TOTP secrets at rest (seal.h) */
	char	*secret_key_old_file;	/* a key rotated out: opens, never seals */
	/* The mailer's (gatehousectl mailer); see README, Configuration. */
	char	*smtp_url;		/* smtp://host:port (STARTTLS) or smtps://host:port */
	char	*smtp_starttls;		/* require, try or off */
	char	*smtp_user;		/* AUTH when set */
	char	*smtp_password;		/* never logged */
	char	*smtp_from;		/* sender address */
	char	*smtp_ca_file;		/* CA certificates for the relay, instead of the system's */
	int	 smtp_timeout;		/* seconds per message */
	int	 mailer_retry_max;	/* seconds: the longest wait between attempts of a message */
};

/*
 * Fills cfg with defaults, then the file (if path is not NULL), then the
 * environment. On error returns -1 and writes a message naming the key to err.
 */
int	config_load(struct config *, const char *path, char *err, size_t errlen);
void	config_free(struct config *);

#endif
