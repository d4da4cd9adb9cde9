/* orgs.c: tenants. Created by the operator through a narrow SECURITY DEFINER function. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/core.h"
#include "gatehouse/db.h"

DB_STMT(st_org_create, 2, "SELECT gatehouse.org_create($1, $2)");
DB_STMT(st_org_find, 1, "SELECT gatehouse.org_find($1)");

static bool
tier_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 32 || t[0] < 'a' || t[0] > 'z')
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum core_status
org_create(const char *name, const char *tier, int64_t *id, struct core_err *e)
{
	const char	*p[2] = { name, tier ? tier : "standard" };
	PGresult	*r;

	if (name == NULL || *name == '\0' || strlen(name) > 100)
		return core_fail(e, CORE_INVALID, "name", "org name must be 1 to 100 characters");
	if (!tier_ok(p[1]))
		return core_fail(e, CORE_INVALID, "tier",
		    "tier must be a lowercase word (letters, digits, - and _)");
	if ((r = db_exec(&st_org_create, p)) == NULL)
		return core_db_fail(e, "an org with that name");
	*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return CORE_OK;
}

enum core_status
org_find(const char *name, int64_t *id, struct core_err *e)
{
	const char	*p[1] = { name };
	PGresult	*r;

	if ((r = db_exec(&st_org_find, p)) == NULL)
		return core_db_fail(e, "org");
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return core_fail(e, CORE_NOT_FOUND, "org", "no org named \"%.100s\"", name);
	}
	*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return CORE_OK;
}
