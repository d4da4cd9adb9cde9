/* org.h: tenants — creation by the operator, settings, and the sweep of inactive users and stale tokens. */
#ifndef GATEHOUSE_ORG_H
#define GATEHOUSE_ORG_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/core.h"

/* Operator only. */
enum core_status org_create(const char *name, const char *tier, int64_t *id, struct core_err *);
enum core_status org_find(const char *name, int64_t *id, struct core_err *);

struct org_settings {
	int64_t		 id;
	const char	*name;
	const char	*tier;
	bool		 enforce_2fa;
	int		 inactivity_days;	/* 0: off */
	int		 password_min;
	int		 session_lifetime_s;
	int		 registration_token_hours;	/* how long an invitation's link works */
	int		 reset_token_hours;		/* how long a password-reset link works */
	int		 session_idle_s;	/* a web session unused this long ends */
	int		 lockout_threshold;	/* failed password attempts that lock an account */
	int		 lockout_s;		/* how long such a lock lasts */
	const char	*created_at;
	const char	*updated_at;
};

/* Which settings a patch changes; tier is billing-like and needs super. */
struct org_patch {
	const char	*tier;
	int		 enforce_2fa;		/* -1: unchanged */
	int		 inactivity_days;	/* -1: unchanged */
	int		 password_min;		/* -1: unchanged */
	int		 session_lifetime_s;	/* -1: unchanged */
	int		 registration_token_hours;	/* -1: unchanged */
	int		 reset_token_hours;	/* -1: unchanged */
	int		 session_idle_s;	/* -1: unchanged */
	int		 lockout_threshold;	/* -1: unchanged */
	int		 lockout_s;		/* -1: unchanged */
};

/* The bounds of the integer settings (sql/ holds the same as CHECKs). */
#define ORG_INACTIVITY_DAYS_MAX	3650
#define ORG_SESSION_LIFETIME_MIN	300
#define ORG_SESSION_LIFETIME_MAX	2592000
#define ORG_SESSION_IDLE_MIN	60
#define ORG_SESSION_IDLE_MAX	86400
#define ORG_LOCKOUT_THRESHOLD_MAX	100
#define ORG_LOCKOUT_MIN		60
#define ORG_LOCKOUT_MAX		86400

/* The bounds of the link lifetimes, in hours (sql/006_mail.sql holds the same). */
#define ORG_REGISTRATION_HOURS_MAX	720
#define ORG_RESET_HOURS_MAX		72

enum core_status org_get(struct core_ctx *, struct org_settings *, struct core_err *);
enum core_status org_update(struct core_ctx *, const struct org_patch *, struct org_settings *,
		    struct core_err *);

/*
 * Operator job, safe at any frequency: in every org with inactivity_days,
 * disables active users whose last sign-in (or creation, if never) is older
 * (reason "inactivity"), and expires unused tokens past their time.
 */
struct sweep_result {
	long	disabled;
	long	tokens_expired;
	long	orgs;
};
enum core_status org_sweep(struct sweep_result *, struct core_err *);

#endif
