/*
 * signin_webauthn.c: security keys (signin.h) — the challenges a page hands
 * navigator.credentials, a key registered by a signed-in user (or one that
 * must enrol), the second sign-in step with a key, and the user's list of
 * keys. The cryptography and the parsing are webauthn.c's; the rules of
 * sessions, lockout and audit are the same as for TOTP (signin_totp.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/rand.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/base64.h"
#include "gatehouse/db.h"
#include "gatehouse/signin.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "gatehouse/webauthn.h"
#include "signin_internal.h"
#include "rows.h"

#define CLIENT_DATA_MAX	4096
#define ATTESTATION_MAX	16384
#define AUTH_DATA_MAX	1024
#define SIGNATURE_MAX	1024	/* an RSA-4096 signature is 512 bytes */
#define TEXT(n)		#n
#define SECONDS(n)	TEXT(n)

DB_STMT(st_wa_challenge_set, 3,
    "INSERT INTO gatehouse.webauthn_challenges (org_id, session_id, purpose, challenge, expires_at)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2, decode($3, 'hex'),"
    " now() + make_interval(secs => " SECONDS(WEBAUTHN_CHALLENGE_S) "))"
    " ON CONFLICT (org_id, session_id, purpose) DO UPDATE"
    " SET challenge = excluded.challenge, expires_at = excluded.expires_at");
/* Taken by the first answer, right or wrong: a challenge is good for one try. */
DB_STMT(st_wa_challenge_take, 2,
    "DELETE FROM gatehouse.webauthn_challenges WHERE org_id = gatehouse.current_org()"
    " AND session_id = $1::bigint AND purpose = $2"
    " RETURNING encode(challenge, 'hex'), expires_at > now()");
DB_STMT(st_wa_ids, 1,
    "SELECT encode(credential_id, 'hex') FROM gatehouse.webauthn_credentials"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint ORDER BY created_at, id");
DB_STMT(st_wa_count, 1,
    "SELECT count(*) FROM gatehouse.webauthn_credentials"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
DB_STMT(st_wa_insert, 6,
    "INSERT INTO gatehouse.webauthn_credentials (org_id, user_id, credential_id, public_key,"
    " sign_count, label, user_verified) VALUES (gatehouse.current_org(), $1::bigint,"
    " decode($2, 'hex'), decode($3, 'hex'), $4::bigint, $5, $6::boolean)"
    " ON CONFLICT (org_id, credential_id) DO NOTHING RETURNING id");
/* Only the user's own key: another user's credential id finds nothing. */
DB_STMT(st_wa_find, 2,
    "SELECT id, encode(public_key, 'hex'), sign_count FROM gatehouse.webauthn_credentials"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint"
    " AND credential_id = decode($2, 'hex') FOR UPDATE");
DB_STMT(st_wa_used, 3,
    "UPDATE gatehouse.webauthn_credentials SET sign_count = $2::bigint, last_used_at = now(),"
    " user_verified = $3::boolean WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_wa_list, 1,
    "SELECT id, label, gatehouse.iso(created_at), gatehouse.iso(last_used_at), user_verified"
    " FROM gatehouse.webauthn_credentials"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint ORDER BY created_at, id");
DB_STMT(st_wa_remove, 2,
    "DELETE FROM gatehouse.webauthn_credentials WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint AND id = $2::bigint RETURNING id");

static const char *const purposes[] = { "get", "create" };

/* Lower-case hex of n bytes, in the arena (NULL when it is full). */
static char *
hex_of(struct arena *a, const unsigned char *p, size_t n)
{
	char *h = arena_alloc(a, 2 * n + 1);

	for (size_t i = 0; h != NULL && i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", p[i]);
	return h;
}

/*
 * A base64url field the browser sent, decoded into the arena (*out, *len):
 * CORE_INVALID naming it when it is missing, not base64url or over max bytes.
 */
static enum core_status
field_bytes(struct core_ctx *c, const char *field, const char *v, size_t max,
    unsigned char **out, size_t *len, struct core_err *e)
{
	long n;

	if (v == NULL || *v == '\0')
		return core_fail(e, CORE_INVALID, field, "%s is required", field);
	if (strlen(v) > BASE64_LEN(max) || (*out = arena_alloc(c->arena, max)) == NULL ||
	    (n = base64_decode(BASE64_URL, v, strlen(v), *out, max)) <= 0)
		return core_fail(e, CORE_INVALID, field, "%s must be base64url of at most %zu bytes",
		    field, max);
	*len = (size_t)n;
	return CORE_OK;
}

/* Takes the session's challenge for purpose: *ok when there was a live one. */
static enum core_status
take_challenge(const struct session *s, bool create, unsigned char ch[WEBAUTHN_CHALLENGE_LEN],
    bool *ok, struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[2] = { sid, purposes[create] };
	PGresult	*r;

	*ok = false;
	core_id_text(s->id, sid);
	if ((r = db_exec(&st_wa_challenge_take, p)) == NULL)
		return core_db_fail(e, "challenge");
	if (PQntuples(r) == 1 && db_bool(r, 0, 1) &&
	    base16_decode(db_value(r, 0, 0), ch, WEBAUTHN_CHALLENGE_LEN) == WEBAUTHN_CHALLENGE_LEN)
		*ok = true;
	PQclear(r);
	return CORE_OK;
}

enum core_status
signin_webauthn_begin(struct core_ctx *c, const struct session *s, bool create,
    struct webauthn_begin *out, struct core_err *e)
{
	unsigned char	 ch[WEBAUTHN_CHALLENGE_LEN], id[WEBAUTHN_CRED_ID_MAX];
	char		 sid[CORE_ID_LEN], hex[2 * WEBAUTHN_CHALLENGE_LEN + 1];
	const char	*p[3] = { sid, purposes[create], hex };
	enum core_status st;
	PGresult	*r;
	long		 n;

	memset(out, 0, sizeof(*out));
	if (RAND_bytes(ch, sizeof(ch)) != 1)
		return core_fail(e, CORE_INTERNAL, NULL, "no randomness for a challenge");
	for (size_t i = 0; i < sizeof(ch); i++)
		snprintf(hex + 2 * i, 3, "%02x", ch[i]);
	base64_encode(BASE64_URL, ch, sizeof(ch), out->challenge);
	core_id_text(s->id, sid);
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_wa_challenge_set, p)) == NULL)
		return core_abort(core_db_fail(e, "challenge"));
	PQclear(r);
	if ((r = rows_on(&st_wa_ids, s->actor.user_id, NULL, "security keys", e)) == NULL)
		return core_abort(e->status);
	out->cred_ids = arena_alloc(c->arena, (size_t)PQntuples(r) * sizeof(char *) + 1);
	for (int i = 0; out->cred_ids != NULL && i < PQntuples(r); i++) {
		const char *h = db_value(r, i, 0);
		char	   *b;

		if ((n = base16_decode(h, id, sizeof(id))) < 0 ||
		    (b = arena_alloc(c->arena, BASE64_LEN((size_t)n) + 1)) == NULL)
			continue;
		base64_encode(BASE64_URL, id, (size_t)n, b);
		out->cred_ids[out->n++] = b;
	}
	PQclear(r);
	if (out->cred_ids == NULL)
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "out of memory"));
	return core_commit(e);
}

/* An audit event's changes about the user's keys: the count before and after. */
static enum core_status
audit_keys(struct core_ctx *c, const struct signin_user *u, const char *action, int64_t old,
    int64_t now, bool uv, struct core_err *e)
{
	char changes[160];

	snprintf(changes, sizeof(changes), "{\"webauthn_credentials\":{\"old\":%lld,\"new\":%lld}"
	    "%s}", (long long)old, (long long)now, strcmp(action, "user.webauthn_register") == 0 ?
	    (uv ? ",\"user_verified\":true" : ",\"user_verified\":false") : "");
	return signin_audit(c, u, action, changes, e);
}

enum core_status
signin_webauthn_register(struct core_ctx *c, const struct session *s,
    const struct webauthn_rp *rp, const char *label, const char *client_data,
    const char *attestation, struct signin_result *out, struct core_err *e)
{
	struct webauthn_credential *cred;
	struct signin_user	 u;
	unsigned char		 ch[WEBAUTHN_CHALLENGE_LEN], *cd, *att;
	size_t			 cdlen, attlen;
	const char		*why, *p[6];
	char			 uid[CORE_ID_LEN], count[24];
	enum core_status	 st;
	int64_t			 keys;
	bool			 live;
	PGresult		*r;

	memset(out, 0, sizeof(*out));
	if (s->stage == SIGNIN_TOTP)
		return core_fail(e, CORE_CONFLICT, NULL, "finish signing in first");
	if ((st = core_check_line(label, "label", WEBAUTHN_LABEL_MAX, e)) != CORE_OK)
		return st;
	if (!valid_name(label, WEBAUTHN_LABEL_MAX))
		return core_fail(e, CORE_INVALID, "label", "label must not hold direction controls");
	if ((st = field_bytes(c, "client_data", client_data, CLIENT_DATA_MAX, &cd, &cdlen, e))
	    != CORE_OK || (st = field_bytes(c, "attestation", attestation, ATTESTATION_MAX, &att,
	    &attlen, e)) != CORE_OK)
		return st;
	if ((cred = arena_alloc(c->arena, sizeof(*cred))) == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = signin_load_user(c, s, &u, e)) != CORE_OK ||
	    (st = take_challenge(s, true, ch, &live, e)) != CORE_OK ||
	    (st = rows_int_on(&st_wa_count, u.id, "security keys", &keys, e)) != CORE_OK)
		return core_abort(st);
	/* The challenge is spent now, whatever follows: commit that much on a refusal. */
	if (!live)
		st = core_fail(e, CORE_INVALID, "challenge", "the page's challenge has expired or "
		    "was used: open the page again and retry");
	else if (webauthn_register(rp, ch, cd, cdlen, att, attlen, cred, &why) != 0)
		st = core_fail(e, CORE_INVALID, "credential", "%s", why);
	else if (keys >= WEBAUTHN_KEYS_MAX)
		st = core_fail(e, CORE_CONFLICT, "label", "you have %d security keys already: remove "
		    "one first", WEBAUTHN_KEYS_MAX);
	if (st != CORE_OK) {
		struct core_err e2;

		return core_commit(&e2) == CORE_OK ? st : (*e = e2, e2.status);
	}
	core_id_text(u.id, uid);
	snprintf(count, sizeof(count), "%lu", (unsigned long)cred->sign_count);
	p[0] = uid;
	p[1] = hex_of(c->arena, cred->cred_id, cred->cred_id_len);
	p[2] = hex_of(c->arena, cred->spki, cred->spki_len);
	p[3] = count;
	p[4] = label;
	p[5] = cred->uv ? "true" : "false";
	if (p[1] == NULL || p[2] == NULL)
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "out of memory"));
	if ((r = db_exec(&st_wa_insert, p)) == NULL)
		return core_abort(core_db_fail(e, "security key"));
	live = PQntuples(r) == 1;
	PQclear(r);
	if (!live) {
		struct core_err e2;

		st = core_fail(e, CORE_CONFLICT, "credential", "this security key is registered "
		    "already");
		return core_commit(&e2) == CORE_OK ? st : (*e = e2, e2.status);
	}
	if ((st = rows_touch_user(u.id, e)) != CORE_OK ||
	    (st = audit_keys(c, &u, "user.webauthn_register", keys, keys + 1, cred->uv, e))
	    != CORE_OK)
		return core_abort(st);
	if (s->stage == SIGNIN_ENROL &&
	    ((st = signin_session_replace(c, s, out, e)) != CORE_OK ||
	    (st = signin_done(c, &u, "webauthn", e)) != CORE_OK))
		return core_abort(st);
	return core_commit(e);
}

/* The fields of an assertion, decoded. */
struct assertion {
	unsigned char	*id, *cd, *ad, *sig;
	size_t		 idlen, cdlen, adlen, siglen;
};

/* The reason a verified-looking assertion is refused, or NULL when it is right. */
static const char *
check_assertion(struct core_ctx *c, const struct signin_user *u, const struct session *s,
    const struct webauthn_rp *rp, const struct assertion *a, struct core_err *e,
    enum core_status *st)
{
	unsigned char		 ch[WEBAUTHN_CHALLENGE_LEN], *spki;
	struct webauthn_assertion res;
	const char		*p[3], *why, *hex;
	char			 uid[CORE_ID_LEN], count[24], kid[CORE_ID_LEN];
	PGresult		*r;
	uint32_t		 stored;
	size_t			 n;
	bool			 live;
	int64_t			 key;

	*st = take_challenge(s, false, ch, &live, e);
	if (*st != CORE_OK)
		return NULL;
	if (u->locked)
		return "locked";
	if (!live)
		return "no live challenge";
	core_id_text(u->id, uid);
	p[0] = uid;
	if ((p[1] = hex_of(c->arena, a->id, a->idlen)) == NULL ||
	    (r = db_exec(&st_wa_find, p)) == NULL) {
		*st = core_db_fail(e, "security key");
		return NULL;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return "not one of the user's security keys";
	}
	key = db_int(r, 0, 0);
	hex = db_text(c->arena, r, 0, 1);
	stored = (uint32_t)db_int(r, 0, 2);
	PQclear(r);
	n = hex ? strlen(hex) / 2 : 0;
	if ((spki = arena_alloc(c->arena, n + 1)) == NULL ||
	    base16_decode(hex ? hex : "", spki, n) != (long)n)
		return "the stored key cannot be read";
	if (webauthn_assert(rp, ch, a->cd, a->cdlen, a->ad, a->adlen, a->sig, a->siglen, spki, n,
	    &res, &why) != 0)
		return why;
	if (!webauthn_count_ok(stored, res.sign_count))
		return "sign count went back";
	core_id_text(key, kid);
	snprintf(count, sizeof(count), "%lu", (unsigned long)res.sign_count);
	p[0] = kid;
	p[1] = count;
	p[2] = res.uv ? "true" : "false";
	if ((r = db_exec(&st_wa_used, p)) == NULL)
		*st = core_db_fail(e, "security key");
	else
		PQclear(r);
	return NULL;
}

enum core_status
signin_webauthn(struct core_ctx *c, const struct session *s, const struct webauthn_rp *rp,
    const char *credential_id, const char *client_data, const char *authenticator_data,
    const char *signature, struct signin_result *out, struct core_err *e)
{
	struct signin_user	 u;
	struct assertion	 a;
	const char		*why;
	char			 reason[100];
	enum core_status	 st;

	memset(out, 0, sizeof(*out));
	if (s->stage != SIGNIN_TOTP)
		return core_fail(e, CORE_CONFLICT, NULL, "no second step is due");
	if ((st = field_bytes(c, "credential_id", credential_id, WEBAUTHN_CRED_ID_MAX, &a.id,
	    &a.idlen, e)) != CORE_OK ||
	    (st = field_bytes(c, "client_data", client_data, CLIENT_DATA_MAX, &a.cd, &a.cdlen, e))
	    != CORE_OK ||
	    (st = field_bytes(c, "authenticator_data", authenticator_data, AUTH_DATA_MAX, &a.ad,
	    &a.adlen, e)) != CORE_OK ||
	    (st = field_bytes(c, "signature", signature, SIGNATURE_MAX, &a.sig, &a.siglen, e))
	    != CORE_OK)
		return st;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	/* Keys are tried like passwords: the same throttle of the address. */
	if ((st = signin_address_check(c, &out->retry_after, e)) != CORE_OK ||
	    (st = signin_load_user(c, s, &u, e)) != CORE_OK)
		return core_abort(st);
	why = check_assertion(c, &u, s, rp, &a, e, &st);
	if (st != CORE_OK)
		return core_abort(st);
	if (why != NULL) {
		/* The reason goes into the audit as JSON: webauthn.c's reasons hold no quote. */
		snprintf(reason, sizeof(reason), "security key: %s", why);
		if ((st = signin_factor_failed(c, &u, "webauthn", strchr(why, '"') ? "security key "
		    "refused" : reason, e)) != CORE_OK)
			return st;
		return core_fail(e, CORE_UNAUTHORIZED, "credential", "the security key was not "
		    "accepted");
	}
	if ((st = signin_session_replace(c, s, out, e)) != CORE_OK ||
	    (st = signin_done(c, &u, "webauthn", e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

static void
key_fill(struct arena *a, PGresult *r, int row, void *out)
{
	struct webauthn_key *k = out;

	k->id = db_int(r, row, 0);
	k->label = db_text(a, r, row, 1);
	k->created_at = db_text(a, r, row, 2);
	k->last_used_at = db_text(a, r, row, 3);
	k->user_verified = db_bool(r, row, 4);
}

static const struct rows_kind key_kind = {
	"security key", 5, sizeof(struct webauthn_key), NULL, key_fill
};

enum core_status
signin_webauthn_keys(struct core_ctx *c, const struct session *s, struct webauthn_key **out,
    size_t *n, struct core_err *e)
{
	char uid[CORE_ID_LEN];

	core_id_text(s->actor.user_id, uid);
	return rows_read(c, &st_wa_list, uid, &key_kind, "security keys", (void **)out, n, e);
}

enum core_status
signin_webauthn_remove(struct core_ctx *c, const struct session *s, const char *key,
    struct core_err *e)
{
	struct signin_user	 u;
	enum core_status	 st;
	PGresult		*r;
	int64_t			 keys;

	if (key == NULL || !valid_id(key))
		return core_fail(e, CORE_INVALID, "key", "key must be the id of one of your keys");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = signin_load_user(c, s, &u, e)) != CORE_OK ||
	    (st = rows_int_on(&st_wa_count, u.id, "security keys", &keys, e)) != CORE_OK)
		return core_abort(st);
	if ((r = rows_on(&st_wa_remove, u.id, key, "security key", e)) == NULL)
		return core_abort(e->status);
	st = PQntuples(r) == 1 ? CORE_OK : core_fail(e, CORE_NOT_FOUND, "key", "no such key of "
	    "yours");
	PQclear(r);
	/* A session that passed with the key removed ends with it; this one stays. */
	if (st != CORE_OK || (st = rows_touch_user(u.id, e)) != CORE_OK ||
	    (st = users_end_sessions(c, u.id, e)) != CORE_OK ||
	    (st = audit_keys(c, &u, "user.webauthn_remove", keys, keys - 1, false, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}
