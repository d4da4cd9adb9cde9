/* userattrs.c: a user's smart cards, workstation usernames and MFA reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/validate.h"
#include "rows.h"

enum core_status
userattrs_user(struct core_ctx *c, const struct user_ref *ref, bool change, struct user *u,
    struct core_err *e)
{
	enum core_status st;

	if (ref == NULL || ref->value == NULL || *ref->value == '\0')
		return core_fail(e, CORE_INVALID, "user", "user is required");
	if ((st = users_load(c, ref, change, u, e)) == CORE_NOT_FOUND)
		return core_fail(e, st, "user", "no such user");
	if (st != CORE_OK || !change)
		return st;
	return users_may_touch(c, u, e);
}

/*
 * Runs stmt with the user's id (in the transaction, or as a read of its own)
 * and copies column 0 (and 1, when the result has it) of each row into arena
 * strings: v0[i], v1[i].
 */
static enum core_status
read_set(struct core_ctx *c, struct db_stmt *stmt, int64_t user_id, const char ***v0,
    const char ***v1, size_t *n, struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[1] = { sid };
	struct db_query	 q = DB_QUERY(stmt, p);
	enum core_status st;
	PGresult	*r;
	size_t		 rows;

	core_id_text(user_id, sid);
	if ((st = core_read(c, &q, 1, "user", e)) != CORE_OK)
		return st;
	r = q.res;
	rows = (size_t)PQntuples(r);
	*v0 = arena_alloc(c->arena, (rows ? rows : 1) * sizeof(**v0));
	if (v1 != NULL)
		*v1 = arena_alloc(c->arena, (rows ? rows : 1) * sizeof(**v1));
	if (*v0 == NULL || (v1 != NULL && *v1 == NULL)) {
		PQclear(r);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < rows; i++) {
		(*v0)[i] = db_text(c->arena, r, (int)i, 0);
		if (v1 != NULL)
			(*v1)[i] = db_text(c->arena, r, (int)i, 1);
	}
	*n = rows;
	PQclear(r);
	return CORE_OK;
}

/* Begins a change to one user's set: the transaction, and the user locked within the actor's level. */
static enum core_status
change_begin(struct core_ctx *c, const struct user_ref *ref, struct user *u, struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = userattrs_user(c, ref, true, u, e)) != CORE_OK)
		return core_abort(st);
	return CORE_OK;
}

/* Reads one user's set: the user, then the set, each a read of its own (as groups_of_user). */
static enum core_status
read_user_set(struct core_ctx *c, const struct user_ref *ref, struct db_stmt *stmt,
    const char ***v0, const char ***v1, size_t *n, struct core_err *e)
{
	struct user	 u;
	enum core_status st;

	*n = 0;
	if ((st = userattrs_user(c, ref, false, &u, e)) != CORE_OK)
		return st;
	return read_set(c, stmt, u.id, v0, v1, n, e);
}

/* Writes the audit record {"<key>": {"old": old, "new": new}} of a set replaced on user u. */
static enum core_status
audit_set(struct core_ctx *c, const char *action, const struct user *u, const char *key,
    const char *old, const char *new, struct core_err *e)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "{\"%s\":{\"old\":%s,\"new\":%s}}", key, old, new);
	return audit_buf(c, action, "user", u->uid, &b, e);
}

/* --- smart cards -------------------------------------------------------------- */

DB_STMT(st_cards_of, 1,
    "SELECT number, label FROM gatehouse.smart_cards WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint ORDER BY number COLLATE \"C\"");
/*
 * Serialises every change that adds one of these numbers in the org (in a
 * fixed order, so two changes cannot deadlock), so the check below holds.
 */
DB_STMT(st_cards_lock, 1,
    "SELECT pg_advisory_xact_lock(hashtext('gatehouse.smart_cards'),"
    "  hashtext(gatehouse.current_org() || ':' || n))::text"
    " FROM (SELECT DISTINCT x->>'number' AS n FROM jsonb_array_elements($1::jsonb) x ORDER BY 1) s");
DB_STMT(st_cards_taken, 2,
    "SELECT c.number FROM gatehouse.smart_cards c JOIN gatehouse.users u"
    " ON u.org_id = c.org_id AND u.id = c.user_id"
    " WHERE c.org_id = gatehouse.current_org() AND c.user_id <> $1::bigint AND u.status <> 'removed'"
    " AND c.number IN (SELECT x->>'number' FROM jsonb_array_elements($2::jsonb) x)"
    " ORDER BY c.number COLLATE \"C\" LIMIT 1");
DB_STMT(st_cards_clear, 1,
    "DELETE FROM gatehouse.smart_cards WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
DB_STMT(st_cards_insert, 2,
    "INSERT INTO gatehouse.smart_cards (org_id, user_id, number, label)"
    " SELECT gatehouse.current_org(), $1::bigint, x.number, coalesce(x.label, '')"
    " FROM jsonb_to_recordset($2::jsonb) AS x (number text, label text)");

static enum core_status
check_cards(const struct smartcard *v, size_t n, struct core_err *e)
{
	if (n > USER_MAX_SMARTCARDS)
		return core_fail(e, CORE_INVALID, "smartcards", "at most %d smart cards",
		    USER_MAX_SMARTCARDS);
	for (size_t i = 0; i < n; i++) {
		const char *num = v[i].number;

		if (num == NULL || *num == '\0' || strlen(num) > 64 ||
		    strspn(num, "0123456789") != strlen(num))
			return core_fail(e, CORE_INVALID, "smartcards",
			    "smartcards[%zu].number must be 1 to 64 digits", i);
		if (v[i].label != NULL && (!valid_text(v[i].label, 100) ||
		    strpbrk(v[i].label, "\t\r\n") != NULL))
			return core_fail(e, CORE_INVALID, "smartcards",
			    "smartcards[%zu].label must be at most 100 bytes of text on one line", i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(v[k].number, num) == 0)
				return core_fail(e, CORE_INVALID, "smartcards",
				    "smart card %.64s is listed twice", num);
	}
	return CORE_OK;
}

/* [{"number":…,"label":…}, …] */
static void
cards_json(struct buf *b, const char *const *num, const char *const *label, size_t n)
{
	struct jsonw w;

	jsonw_init(&w, b);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(&w);
		jsonw_kstr(&w, "number", num[i]);
		jsonw_kstr(&w, "label", label[i] ? label[i] : "");
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
}

/* True when the request names exactly the stored cards with the same labels. */
static bool
cards_same(const struct smartcard *v, size_t n, const char **num, const char **label, size_t on)
{
	if (n != on)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t k = 0; k < on && !found; k++)
			found = strcmp(v[i].number, num[k]) == 0 &&
			    strcmp(v[i].label ? v[i].label : "", label[k]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static enum core_status
cards_out(struct core_ctx *c, const char **num, const char **label, size_t n,
    struct smartcard **out, size_t *nout, struct core_err *e)
{
	if (out == NULL)
		return CORE_OK;
	if ((*out = arena_alloc(c->arena, (n ? n : 1) * sizeof(**out))) == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		(*out)[i] = (struct smartcard){ num[i], label[i] };
	*nout = n;
	return CORE_OK;
}

/* The checks and writes of a smart card replacement, inside its transaction. */
static enum core_status
cards_replace(struct core_ctx *c, const struct user *u, const char *json, bool allow_duplicates,
    struct core_err *e)
{
	char		 sid[24];
	const char	*p[2] = { sid, json };
	PGresult	*r;
	enum core_status st;

	core_id_text(u->id, sid);
	if (!allow_duplicates) {
		if ((r = db_exec(&st_cards_lock, p + 1)) == NULL)
			return core_db_fail(e, "smart cards");
		PQclear(r);
		if ((r = db_exec(&st_cards_taken, p)) == NULL)
			return core_db_fail(e, "smart cards");
		if (PQntuples(r) > 0) {
			st = core_fail(e, CORE_CONFLICT, "smartcards",
			    "smart card %.64s belongs to another user (allow_duplicates to share it)",
			    db_value(r, 0, 0));
			PQclear(r);
			return st;
		}
		PQclear(r);
	}
	if ((st = rows_exec_on(&st_cards_clear, u->id, NULL, "smart cards", e)) != CORE_OK)
		return st;
	return rows_exec_on(&st_cards_insert, u->id, json, "smart cards", e);
}

enum core_status
userattrs_smartcards_set(struct core_ctx *c, const struct user_ref *ref,
    const struct smartcard *v, size_t n, bool allow_duplicates, struct smartcard **out,
    size_t *nout, struct core_err *e)
{
	struct user	 u;
	struct buf	 want, before, after;
	const char	**num, **label, **onum, **olabel;
	const char	*nums[USER_MAX_SMARTCARDS], *labels[USER_MAX_SMARTCARDS];
	size_t		 on, nn;
	enum core_status st;

	if ((st = check_cards(v, n, e)) != CORE_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		nums[i] = v[i].number;
		labels[i] = v[i].label;
	}
	if ((st = change_begin(c, ref, &u, e)) != CORE_OK)
		return st;
	if ((st = read_set(c, &st_cards_of, u.id, &onum, &olabel, &on, e)) != CORE_OK)
		return core_abort(st);
	if (cards_same(v, n, onum, olabel, on)) {
		if ((st = cards_out(c, onum, olabel, on, out, nout, e)) != CORE_OK)
			return core_abort(st);
		return core_commit(e);		/* nothing to change or record */
	}
	buf_init(&want);
	buf_init(&before);
	buf_init(&after);
	cards_json(&want, nums, labels, n);
	cards_json(&before, onum, olabel, on);
	if (want.failed)
		st = core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	else if ((st = cards_replace(c, &u, buf_cstr(&want), allow_duplicates, e)) == CORE_OK &&
	    (st = read_set(c, &st_cards_of, u.id, &num, &label, &nn, e)) == CORE_OK) {
		cards_json(&after, num, label, nn);
		if ((st = audit_set(c, "user.smartcards", &u, "smartcards", buf_cstr(&before),
		    buf_cstr(&after), e)) == CORE_OK)
			st = cards_out(c, num, label, nn, out, nout, e);
	}
	buf_free(&want);
	buf_free(&before);
	buf_free(&after);
	if (st != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
userattrs_smartcards_get(struct core_ctx *c, const struct user_ref *ref, struct smartcard **out,
    size_t *n, struct core_err *e)
{
	const char	**num, **label;
	size_t		 rows;
	enum core_status st;

	*n = 0;
	if ((st = read_user_set(c, ref, &st_cards_of, &num, &label, &rows, e)) != CORE_OK)
		return st;
	return cards_out(c, num, label, rows, out, n, e);
}

/* --- workstation usernames ---------------------------------------------------- */

DB_STMT(st_ws_of, 1,
    "SELECT username FROM gatehouse.workstation_usernames WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint ORDER BY username COLLATE \"C\"");
DB_STMT(st_ws_clear, 1,
    "DELETE FROM gatehouse.workstation_usernames WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");
DB_STMT(st_ws_insert, 2,
    "INSERT INTO gatehouse.workstation_usernames (org_id, user_id, username)"
    " SELECT gatehouse.current_org(), $1::bigint, n FROM jsonb_array_elements_text($2::jsonb) n"
    " ON CONFLICT DO NOTHING");

/* 1–256 characters of text on one line. */
static bool
ws_name_ok(const char *s)
{
	size_t chars = 0;

	if (s == NULL || *s == '\0' || !valid_line(s, 4 * 256))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	return chars <= 256;
}

static void
names_json(struct buf *b, const char *const *v, size_t n)
{
	struct jsonw w;

	jsonw_init(&w, b);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++)
		jsonw_str(&w, v[i]);
	jsonw_arr_close(&w);
}

/* True when every one of a is in b (a has no repeats). */
static bool
names_within(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++) {
		bool found = false;

		for (size_t k = 0; k < nb && !found; k++)
			found = strcmp(a[i], b[k]) == 0;
		if (!found)
			return false;
	}
	return true;
}

enum core_status
userattrs_workstation_usernames_set(struct core_ctx *c, const struct user_ref *ref,
    const char *field, const char *const *v, size_t n, const char ***out, size_t *nout,
    struct core_err *e)
{
	struct user	 u;
	struct buf	 want, before, after;
	const char	*uniq[USER_MAX_WORKSTATION_USERNAMES], **old, **now;
	size_t		 nu = 0, on, nn;
	enum core_status st;

	for (size_t i = 0; i < n; i++) {
		if (!ws_name_ok(v[i]))
			return core_fail(e, CORE_INVALID, field,
			    "%s[%zu] must be 1 to 256 characters of text on one line", field, i);
		if (names_within(&v[i], 1, uniq, nu))
			continue;
		if (nu == USER_MAX_WORKSTATION_USERNAMES)
			return core_fail(e, CORE_INVALID, field, "at most %d workstation usernames",
			    USER_MAX_WORKSTATION_USERNAMES);
		uniq[nu++] = v[i];
	}
	if ((st = change_begin(c, ref, &u, e)) != CORE_OK)
		return st;
	if ((st = read_set(c, &st_ws_of, u.id, &old, NULL, &on, e)) != CORE_OK)
		return core_abort(st);
	if (nu == on && names_within(uniq, nu, old, on)) {
		if (out != NULL) {
			*out = old;
			*nout = on;
		}
		return core_commit(e);		/* nothing to change or record */
	}
	buf_init(&want);
	buf_init(&before);
	buf_init(&after);
	names_json(&want, uniq, nu);
	names_json(&before, old, on);
	if (want.failed)
		st = core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	else if ((st = rows_exec_on(&st_ws_clear, u.id, NULL, "workstation usernames", e)) == CORE_OK &&
	    (st = rows_exec_on(&st_ws_insert, u.id, buf_cstr(&want), "workstation usernames", e))
	    == CORE_OK &&
	    (st = read_set(c, &st_ws_of, u.id, &now, NULL, &nn, e)) == CORE_OK) {
		names_json(&after, now, nn);
		st = audit_set(c, "user.workstation_usernames", &u, "usernames", buf_cstr(&before),
		    buf_cstr(&after), e);
	}
	buf_free(&want);
	buf_free(&before);
	buf_free(&after);
	if (st != CORE_OK)
		return core_abort(st);
	if (out != NULL) {
		*out = now;
		*nout = nn;
	}
	return core_commit(e);
}

enum core_status
userattrs_workstation_usernames_get(struct core_ctx *c, const struct user_ref *ref,
    const char ***out, size_t *n, struct core_err *e)
{
	return read_user_set(c, ref, &st_ws_of, out, NULL, n, e);
}

/* --- MFA reset ---------------------------------------------------------------- */

DB_STMT(st_mfa_totp, 1,
    "DELETE FROM gatehouse.totp_credentials WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");
DB_STMT(st_mfa_webauthn, 1,
    "DELETE FROM gatehouse.webauthn_credentials WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");

static const char *const mfa_names[] = { [MFA_TOTP] = "totp", [MFA_WEBAUTHN] = "webauthn",
	[MFA_ALL] = "all" };

/* Runs a delete of the user's rows; *n is how many went. */
static enum core_status
delete_count(struct db_stmt *stmt, int64_t user_id, long *n, struct core_err *e)
{
	PGresult *r;

	if ((r = rows_on(stmt, user_id, NULL, "credentials", e)) == NULL)
		return e->status;
	*n = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return CORE_OK;
}

enum core_status
userattrs_mfa_reset(struct core_ctx *c, const struct user_ref *ref, enum mfa_kind kind,
    struct user *out, struct core_err *e)
{
	struct user	 u;
	char		 sid[24], changes[200];
	struct user_ref	 self = { UKEY_ID, sid };
	long		 totp = 0, webauthn = 0;
	enum core_status st;
	int		 len;

	if (kind != MFA_TOTP && kind != MFA_WEBAUTHN && kind != MFA_ALL)
		return core_fail(e, CORE_INVALID, "type", "type must be totp, webauthn or all");
	if ((st = change_begin(c, ref, &u, e)) != CORE_OK)
		return st;
	core_id_text(u.id, sid);
	if (((kind & MFA_TOTP) && (st = delete_count(&st_mfa_totp, u.id, &totp, e)) != CORE_OK) ||
	    ((kind & MFA_WEBAUTHN) &&
	    (st = delete_count(&st_mfa_webauthn, u.id, &webauthn, e)) != CORE_OK))
		return core_abort(st);
	if (totp + webauthn == 0) {
		*out = u;
		return core_commit(e);		/* nothing to remove or record */
	}
	/* A session that passed the factor just removed ends with it. */
	if ((st = rows_touch_user(u.id, e)) != CORE_OK ||
	    (st = users_end_sessions(c, u.id, e)) != CORE_OK ||
	    (st = users_load(c, &self, false, out, e)) != CORE_OK)
		return core_abort(st);
	/* What was removed, as facts: never a secret or a credential id. */
	len = snprintf(changes, sizeof(changes), "{\"type\":\"%s\"", mfa_names[kind]);
	if (kind & MFA_TOTP)
		len += snprintf(changes + len, sizeof(changes) - (size_t)len,
		    ",\"totp\":{\"old\":%s,\"new\":false}", totp > 0 ? "true" : "false");
	if (kind & MFA_WEBAUTHN)
		len += snprintf(changes + len, sizeof(changes) - (size_t)len,
		    ",\"webauthn_credentials\":{\"old\":%ld,\"new\":0}", webauthn);
	snprintf(changes + len, sizeof(changes) - (size_t)len, "}");
	if (audit_write(c, "user.mfa_reset", "user", out->uid, changes) != 0)
		return core_abort(core_db_fail(e, "audit event"));
	return core_commit(e);
}
