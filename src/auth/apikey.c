/* apikey.c: authenticating API keys: constant-time digest comparison, lookup and the key cache. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gatehouse/apikey.h"
#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/deadline.h"
#include "gatehouse/principal.h"
#include "gatehouse/secret.h"

int
apikey_parse(const char *token, int64_t *org, int64_t *id, const char **secret)
{
	return secret_parse(token, "gh", org, id, secret);
}

int
apikey_ref_parse(const char *ref, int64_t *org, int64_t *id)
{
	return secret_ref_parse(ref, "gh", org, id);
}

int
apikey_format(char *out, size_t outsz, int64_t org, int64_t id, const char *secret)
{
	return secret_format(out, outsz, "gh", org, id, secret);
}

DB_STMT(st_key_auth, 2,
    "SELECT digest, usable, stale_use, org_name, tier, user_id, user_uid, username, email,"
    " access_level, scopes, expires_epoch FROM gatehouse.key_auth($1, $2)");
DB_STMT(st_key_touch, 2, "SELECT gatehouse.key_touch($1, $2)");

/*
 * The key cache. Each worker remembers the principals of keys it recently
 * authenticated, so most requests need no database round trip. It is safe
 * because it is told, not timed: sql/004_auth_cache.sql notifies channel
 * gatehouse_auth with the org's id on every change that could alter or
 * revoke a principal, and every authentication first drains those
 * notifications and forgets that org's keys. An entry is trusted only on the
 * connection it was made on (a new connection may have missed notifications),
 * never past the key's expiry, and never longer than KC_TTL as a backstop.
 */
#define KC_SLOTS	256
#define KC_TTL		10.0		/* seconds */
#define KC_TOUCH	60.0		/* seconds between last_used_at writes */

struct kc_entry {
	int64_t		org, id;	/* org 0: empty */
	unsigned	gen;
	unsigned char	digest[SECRET_DIGEST_LEN];
	double		expires;	/* Unix time, to the microsecond; 0: never */
	double		cached_at, touched_at;
	int64_t		user_id;
	enum level	level;
	char		org_name[104], tier[40], uid[40], username[104], email[256], scopes[256];
};

static struct kc_entry kc[KC_SLOTS];

/* Wall-clock time with its fraction: key expiry is not whole seconds. */
static double
now_real(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct kc_entry *
kc_slot(int64_t org, int64_t id)
{
	uint64_t h = (uint64_t)org * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id * 0xc2b2ae3d27d4eb4fULL;

	return &kc[(h >> 32) % KC_SLOTS];
}

static void
kc_forget_org(const char *channel, const char *payload)
{
	int64_t org;

	if (strcmp(channel, "gatehouse_auth") != 0)
		return;
	org = strtoll(payload, NULL, 10);
	for (size_t i = 0; i < KC_SLOTS; i++)
		if (kc[i].org == org) {
			OPENSSL_cleanse(&kc[i], sizeof(kc[i]));
			kc[i].org = 0;
		}
}

/* The cached entry for a key if it may be trusted now, else NULL. */
static struct kc_entry *
kc_lookup(int64_t org, int64_t id)
{
	struct kc_entry *e = kc_slot(org, id);

	db_on_notify(kc_forget_org);
	if (db_notifications() != 0)
		return NULL;		/* no live connection: nothing cached can be vouched for */
	if (e->org != org || e->id != id || e->gen != db_generation() ||
	    mono_seconds() - e->cached_at > KC_TTL || (e->expires != 0 && now_real() >= e->expires))
		return NULL;
	return e;
}

static bool
kc_copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

/* Remembers a successful lookup (row 0 of a key_auth result). */
static void
kc_store(int64_t org, int64_t id, const unsigned char *digest, PGresult *r)
{
	struct kc_entry	*e = kc_slot(org, id), n;
	const char	*v;

	memset(&n, 0, sizeof(n));
	n.org = org;
	n.id = id;
	n.gen = db_generation();
	memcpy(n.digest, digest, sizeof(n.digest));
	n.expires = (v = db_value(r, 0, 11)) ? strtod(v, NULL) : 0;
	n.cached_at = n.touched_at = mono_seconds();
	n.user_id = db_int(r, 0, 5);
	if (level_parse(db_value(r, 0, 9), &n.level) != 0)
		n.level = LEVEL_GUEST;
	/* Anything too long to hold is simply not cached. */
	if (!kc_copy(n.org_name, sizeof(n.org_name), db_value(r, 0, 3)) ||
	    !kc_copy(n.tier, sizeof(n.tier), db_value(r, 0, 4)) ||
	    !kc_copy(n.uid, sizeof(n.uid), db_value(r, 0, 6)) ||
	    !kc_copy(n.username, sizeof(n.username), db_value(r, 0, 7)) ||
	    !kc_copy(n.email, sizeof(n.email), db_value(r, 0, 8)) ||
	    !kc_copy(n.scopes, sizeof(n.scopes), db_value(r, 0, 10)))
		return;
	*e = n;
	OPENSSL_cleanse(&n, sizeof(n));
}

/* Decodes PostgreSQL's hex bytea output ("\x…") into out; 0 when it is exactly outlen bytes. */
static int
bytea_hex(const char *s, unsigned char *out, size_t outlen)
{
	if (s == NULL || strncmp(s, "\\x", 2) != 0 || strlen(s + 2) != outlen * 2)
		return -1;
	s += 2;
	for (size_t i = 0; i < outlen; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Splits a PostgreSQL text[] literal of simple words ({a,b}) into the arena; NULL is none. */
static void
scopes_parse(struct arena *a, const char *lit, struct principal *p)
{
	size_t n = 0, len = lit ? strlen(lit) : 0;
	char *copy;

	p->scopes = NULL;
	p->nscopes = 0;
	if (len < 3 || lit[0] != '{' || (copy = arena_strndup(a, lit + 1, len - 2)) == NULL)
		return;
	for (const char *c = copy; *c; c++)
		n += *c == ',';
	if ((p->scopes = arena_alloc(a, (n + 1) * sizeof(*p->scopes))) == NULL)
		return;
	for (char *tok = strtok(copy, ","); tok != NULL; tok = strtok(NULL, ","))
		p->scopes[p->nscopes++] = tok;
}

static void
principal_ids(struct principal *p, int64_t org, int64_t id)
{
	memset(p, 0, sizeof(*p));
	p->org_id = org;
	p->key_id = id;
	snprintf(p->key_ref, sizeof(p->key_ref), "gh_%lldk%lld", (long long)org, (long long)id);
}

/* Fills p from a cached entry, copying its strings into the request arena. */
static void
principal_from_cache(struct arena *a, const struct kc_entry *e, struct principal *p)
{
	principal_ids(p, e->org, e->id);
	p->org_name = arena_strdup(a, e->org_name);
	p->tier = arena_strdup(a, e->tier);
	p->user_id = e->user_id;
	if (e->user_id != 0) {
		p->user_uid = arena_strdup(a, e->uid);
		p->username = arena_strdup(a, e->username);
		p->email = arena_strdup(a, e->email);
	}
	p->level = e->level;
	scopes_parse(a, e->scopes, p);
}

static void
touch(const char *const *params)
{
	PGresult *r = db_exec(&st_key_touch, params);

	if (r != NULL)
		PQclear(r);
}

enum apikey_result
apikey_authenticate(struct arena *a, const char *token, struct principal *p)
{
	int64_t		 org, id;
	const char	*secret;
	char		 sorg[24], sid[24];
	const char	*params[2] = { sorg, sid };
	unsigned char	 want[SECRET_DIGEST_LEN], got[SECRET_DIGEST_LEN];
	struct kc_entry	*e;
	PGresult	*r;
	bool		 match, usable, stale;

	if (apikey_parse(token, &org, &id, &secret) != 0)
		return APIKEY_INVALID;
	snprintf(sorg, sizeof(sorg), "%lld", (long long)org);
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	secret_digest(secret, got);

	if ((e = kc_lookup(org, id)) != NULL) {
		match = CRYPTO_memcmp(e->digest, got, sizeof(got)) == 0;
		OPENSSL_cleanse(got, sizeof(got));
		if (!match)
			return APIKEY_INVALID;
		principal_from_cache(a, e, p);
		if (mono_seconds() - e->touched_at > KC_TOUCH) {
			e->touched_at = mono_seconds();
			touch(params);
		}
		return APIKEY_OK;
	}

	if ((r = db_exec(&st_key_auth, params)) == NULL) {
		OPENSSL_cleanse(got, sizeof(got));
		return db_status() == DB_UNAVAILABLE ? APIKEY_UNAVAILABLE : APIKEY_INVALID;
	}
	if (PQntuples(r) != 1 || PQnfields(r) != 12 ||
	    bytea_hex(db_value(r, 0, 0), want, sizeof(want)) != 0) {
		PQclear(r);
		OPENSSL_cleanse(got, sizeof(got));
		return APIKEY_INVALID;
	}
	match = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	usable = db_bool(r, 0, 1);
	stale = db_bool(r, 0, 2);
	OPENSSL_cleanse(got, sizeof(got));
	if (!match || !usable) {
		PQclear(r);
		return APIKEY_INVALID;
	}
	principal_ids(p, org, id);
	p->org_name = db_text(a, r, 0, 3);
	p->tier = db_text(a, r, 0, 4);
	p->user_id = db_int(r, 0, 5);
	p->user_uid = db_text(a, r, 0, 6);
	p->username = db_text(a, r, 0, 7);
	p->email = db_text(a, r, 0, 8);
	if (level_parse(db_value(r, 0, 9), &p->level) != 0)
		p->level = LEVEL_GUEST;
	scopes_parse(a, db_value(r, 0, 10), p);
	kc_store(org, id, want, r);
	PQclear(r);
	if (stale)
		touch(params);
	return APIKEY_OK;
}
