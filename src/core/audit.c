/* audit.c: writes audit events; the service role can insert and read them, never change them. */
#include <stdio.h>

#include <libpq-fe.h>

#include "gatehouse/audit.h"
#include "gatehouse/db.h"

DB_STMT(st_audit_insert, 9,
    "INSERT INTO gatehouse.audit_events (org_id, actor_user_id, actor_key_id, actor, action,"
    " target_type, target_id, changes, request_id, address)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, NULL)");
DB_STMT(st_audit_insert_addr, 10,
    "INSERT INTO gatehouse.audit_events (org_id, actor_user_id, actor_key_id, actor, action,"
    " target_type, target_id, changes, request_id, address)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::inet)");

int
audit_write(struct core_ctx *c, const char *action, const char *target_type,
    const char *target_id, const char *changes_json)
{
	char		 org[24], uid[24], kid[24];
	const char	*actor = "operator";
	const char	*p[10];
	PGresult	*r;

	snprintf(org, sizeof(org), "%lld", (long long)c->org_id);
	p[0] = org;
	p[1] = p[2] = NULL;
	if (c->actor != NULL) {
		if (c->actor->user_id) {
			snprintf(uid, sizeof(uid), "%lld", (long long)c->actor->user_id);
			p[1] = uid;
		}
		snprintf(kid, sizeof(kid), "%lld", (long long)c->actor->key_id);
		p[2] = kid;
		actor = c->actor->email ? c->actor->email : c->actor->key_ref;
	}
	p[3] = actor;
	p[4] = action;
	p[5] = target_type;
	p[6] = target_id;
	p[7] = changes_json ? changes_json : "{}";
	p[8] = c->request_id ? c->request_id : "";
	p[9] = c->address;
	r = db_exec(c->address ? &st_audit_insert_addr : &st_audit_insert, p);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}
