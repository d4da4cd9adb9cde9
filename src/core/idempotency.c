/* idempotency.c: the answers kept for Idempotency-Key retries, committed with the work they answer. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/idempotency.h"
#include "gatehouse/log.h"
#include "hold.h"

/*
 * Claims the key, or finds the claim already there. A concurrent claim of
 * the same key blocks on the primary key until its transaction ends; an
 * expired claim is taken over. A row back: the claim is ours.
 */
DB_STMT(st_idem_claim, 3,
    "INSERT INTO gatehouse.idempotency_keys (org_id, key_id, idem_key, fingerprint)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2, decode($3, 'hex'))"
    " ON CONFLICT (org_id, key_id, idem_key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
    "  status = NULL, content_type = NULL, headers = NULL, body = NULL, created_at = now()"
    " WHERE gatehouse.idempotency_keys.created_at < now() - interval '24 hours'"	/* IDEM_TTL_HOURS */
    " RETURNING 1");
DB_STMT(st_idem_get, 3,
    "SELECT fingerprint = decode($3, 'hex'), status, content_type, headers, body"
    " FROM gatehouse.idempotency_keys"
    " WHERE org_id = gatehouse.current_org() AND key_id = $1::bigint AND idem_key = $2");
DB_STMT(st_idem_answer, 6,
    "UPDATE gatehouse.idempotency_keys SET status = $3::integer, content_type = $4,"
    " headers = $5, body = $6"
    " WHERE org_id = gatehouse.current_org() AND key_id = $1::bigint AND idem_key = $2");

/* The claim whose transaction is held (a worker serves one request at a time). */
static struct {
	char	key_id[CORE_ID_LEN];
	char	key[IDEM_KEY_MAX + 1];
} claim;

bool
idem_key_valid(const char *key)
{
	size_t n = 0;

	if (key == NULL)
		return false;
	for (; key[n] != '\0'; n++)
		if (n >= IDEM_KEY_MAX || key[n] < 0x20 || key[n] > 0x7e)
			return false;
	return n > 0;
}

/* The SHA-256 of the request's parts, each ended by a NUL so none can run into the next. */
static int
idem_fingerprint(const struct idem_request *q, char hex[IDEM_FP_LEN * 2 + 1])
{
	unsigned char	 fp[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	const char	*query = q->query ? q->query : "";
	int		 ok;

	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, q->method, strlen(q->method) + 1) == 1 &&
	    EVP_DigestUpdate(md, q->path, strlen(q->path) + 1) == 1 &&
	    EVP_DigestUpdate(md, query, strlen(query) + 1) == 1 &&
	    (q->body_len == 0 || EVP_DigestUpdate(md, q->body, q->body_len) == 1) &&
	    EVP_DigestFinal_ex(md, fp, &n) == 1 && n == IDEM_FP_LEN;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -1;
	for (size_t i = 0; i < IDEM_FP_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
	return 0;
}

/* The claim made by someone else: replayed when it answers the same request. */
static enum core_status
idem_found(struct core_ctx *c, const char *const *p, enum idem_state *state,
    struct idem_answer *a, struct core_err *e)
{
	PGresult *r;

	if ((r = db_exec(&st_idem_get, p)) == NULL)
		return core_db_fail(e, "Idempotency-Key");
	if (PQntuples(r) != 1 || db_value(r, 0, 1) == NULL) {
		/* Cannot be seen: a claim is visible only once its answer committed with it. */
		PQclear(r);
		return core_fail(e, CORE_CONFLICT, "Idempotency-Key",
		    "a request with this Idempotency-Key is still running; retry it later");
	}
	if (!db_bool(r, 0, 0))
		*state = IDEM_MISMATCH;
	else {
		*state = IDEM_REPLAY;
		a->status = (int)db_int(r, 0, 1);
		a->content_type = db_text(c->arena, r, 0, 2);
		a->headers = db_text(c->arena, r, 0, 3);
		a->body = db_text(c->arena, r, 0, 4);
		if (a->content_type == NULL || a->headers == NULL || a->body == NULL) {
			PQclear(r);
			return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
		}
	}
	PQclear(r);
	return CORE_OK;
}

enum core_status
idem_begin(struct core_ctx *c, int64_t key_id, const char *key,
    const struct idem_request *q, enum idem_state *state, struct idem_answer *a,
    struct core_err *e)
{
	char		 hex[IDEM_FP_LEN * 2 + 1];
	const char	*p[3] = { claim.key_id, claim.key, hex };
	enum core_status st;
	PGresult	*r;
	bool		 ours;

	memset(a, 0, sizeof(*a));
	if (!idem_key_valid(key))
		return core_fail(e, CORE_INVALID, "Idempotency-Key",
		    "Idempotency-Key must be 1 to %d printable ASCII characters", IDEM_KEY_MAX);
	core_id_text(key_id, claim.key_id);
	snprintf(claim.key, sizeof(claim.key), "%s", key);
	if (idem_fingerprint(q, hex) != 0)
		return core_fail(e, CORE_INTERNAL, NULL, "hashing failed");
	if ((st = core_hold(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_idem_claim, p)) == NULL)
		return core_release(core_db_fail(e, "Idempotency-Key"), e);
	ours = PQntuples(r) == 1;
	PQclear(r);
	if (ours) {
		*state = IDEM_NEW;
		return CORE_OK;
	}
	st = idem_found(c, p, state, a, e);
	/* Nothing of ours to keep: end the transaction, keeping st. */
	core_release(CORE_CONFLICT, e);
	return st;
}

enum core_status
idem_finish(struct core_ctx *c, bool keep, const struct idem_answer *a, struct core_err *e)
{
	char		 status[CORE_ID_LEN];
	const char	*p[6] = { claim.key_id, claim.key, status, a->content_type, a->headers,
	    a->body };
	PGresult	*r;

	(void)c;
	if (!keep) {
		/* A failure changed nothing (or must not stand): keep nothing either. */
		core_release(CORE_CONFLICT, e);
		return CORE_OK;
	}
	if (!db_in_tx())
		return core_release(CORE_OK, e);	/* the work was rolled back: a failure */
	core_id_text(a->status, status);
	if ((r = db_exec(&st_idem_answer, p)) == NULL)
		return core_release(core_db_fail(e, "Idempotency-Key"), e);
	PQclear(r);
	return core_release(CORE_OK, e);
}
