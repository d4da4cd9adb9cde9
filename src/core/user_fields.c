/* user_fields.c: the fields a client may set on a user, in one table, and the checks of a patch. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "users_internal.h"

const char *const user_employee_types[] = { "contractor", "employee", "non_employee", "auditor",
	"external", "workspace", NULL };
const char *const user_onboarding_statuses[] = { "not_started", "in_progress", "completed", NULL };
const char *const user_personnel_statuses[] = { "onboarding", "active", "offboarding", "offboarded",
	NULL };
const char *const user_auth_methods[] = { "local", "ldap", "sso", "saml", "oauth2", NULL };
const char *const user_levels[] = { "guest", "user", "admin", "super", NULL };
const char *const user_statuses[] = { "pending", "active", "disabled", "suspended", NULL };

const struct ufield_def ufields[UF__MAX] = {
	[UF_USERNAME]		= { "username",		UFK_USERNAME,	100, NULL, false },
	[UF_EMAIL]		= { "email",		UFK_EMAIL,	254, NULL, false },
	[UF_FIRST_NAME]		= { "first_name",	UFK_NAME,	100, NULL, false },
	[UF_MIDDLE_NAME]	= { "middle_name",	UFK_NAME,	100, NULL, false },
	[UF_LAST_NAME]		= { "last_name",	UFK_NAME,	100, NULL, false },
	[UF_PREFERRED_FIRST_NAME] = { "preferred_first_name", UFK_NAME, 100, NULL, false },
	[UF_TITLE]		= { "title",		UFK_NAME,	200, NULL, false },
	[UF_DEPARTMENT]		= { "department",	UFK_NAME,	200, NULL, false },
	[UF_EMPLOYEE_TYPE]	= { "employee_type",	UFK_ENUM,	0, user_employee_types, false },
	[UF_START_DATE]		= { "start_date",	UFK_DATE,	0, NULL, true },
	[UF_END_DATE]		= { "end_date",		UFK_DATE,	0, NULL, true },
	[UF_IN_AUDIT_SCOPE]	= { "in_audit_scope",	UFK_BOOL,	0, NULL, false },
	[UF_AUTH_METHOD]	= { "auth_method",	UFK_ENUM,	0, user_auth_methods, false },
	[UF_TEAM]		= { "team",		UFK_TEAM,	100, NULL, true },
	[UF_ACCESS_LEVEL]	= { "access_level",	UFK_LEVEL,	0, user_levels, false },
	[UF_ROLES]		= { "roles",		UFK_ROLES,	64, NULL, false },
	[UF_NOTE]		= { "note",		UFK_TEXT,	4000, NULL, false },
	[UF_SUMMARY_EMAIL]	= { "summary_email",	UFK_BOOL,	0, NULL, false },
	[UF_DEPARTMENT_ID]	= { "department_id",	UFK_LINE,	100, NULL, true },
	[UF_ACCESS_ROLE]	= { "access_role",	UFK_LINE,	100, NULL, true },
	[UF_ONBOARDING_STATUS]	= { "onboarding_status", UFK_ENUM,	0, user_onboarding_statuses, true },
	[UF_PERSONNEL_STATUS]	= { "personnel_status",	UFK_ENUM,	0, user_personnel_statuses, true },
	[UF_AGENT_ACKNOWLEDGED_AT] = { "agent_acknowledged_at", UFK_TIME, 0, NULL, true },
	[UF_MANAGER]		= { "manager",		UFK_USER,	0, NULL, true },
	[UF_MFA_REQUIRED]	= { "mfa_required",	UFK_BOOL,	0, NULL, false },
	[UF_EXTERNAL_ID]	= { "external_id",	UFK_TEXT,	256, NULL, false },
	[UF_DISPLAY_NAME]	= { "display_name",	UFK_NAME,	256, NULL, false },
	[UF_FORMATTED_NAME]	= { "formatted_name",	UFK_NAME,	400, NULL, false },
	[UF_PREFERRED_LANGUAGE]	= { "preferred_language", UFK_TEXT,	100, NULL, false },
	[UF_EMPLOYEE_NUMBER]	= { "employee_number",	UFK_TEXT,	100, NULL, false },
	[UF_EMAILS]		= { "emails",		UFK_VALUES,	0, NULL, false },
	[UF_PHONE_NUMBERS]	= { "phone_numbers",	UFK_VALUES,	0, NULL, false },
	[UF_ADDRESSES]		= { "addresses",	UFK_VALUES,	0, NULL, false },
};

const char *const user_value_names[UV__MAX] = {
	[UV_VALUE] = "value", [UV_DISPLAY] = "display", [UV_TYPE] = "type",
	[UV_FORMATTED] = "formatted", [UV_STREET_ADDRESS] = "streetAddress",
	[UV_LOCALITY] = "locality", [UV_REGION] = "region", [UV_POSTAL_CODE] = "postalCode",
	[UV_COUNTRY] = "country",
};

static const char *const status_names[US__MAX] = { "pending", "active", "disabled", "suspended",
	"removed" };

const char *
user_status_name(enum user_status s)
{
	return s < US__MAX ? status_names[s] : "removed";
}

bool
user_status_active(enum user_status s)
{
	return s == US_PENDING || s == US_ACTIVE;
}

enum user_status
user_status_parse(const char *s)
{
	for (int i = 0; s != NULL && i < US__MAX; i++)
		if (strcmp(s, status_names[i]) == 0)
			return (enum user_status)i;
	return US_REMOVED;
}

int
ufield_find(const char *name)
{
	for (int i = 0; i < UF__MAX; i++)
		if (strcmp(ufields[i].name, name) == 0)
			return i;
	return -1;
}

static bool
role_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum core_status
user_patch_set(struct arena *a, struct user_patch *p, enum ufield f, const char *v,
    struct core_err *e)
{
	const struct ufield_def *d = &ufields[f];

	if (v == NULL) {
		if (!d->nullable)
			return core_fail(e, CORE_INVALID, d->name, "%s cannot be null", d->name);
		p->set[f] = true;
		p->val[f] = NULL;
		return CORE_OK;
	}
	switch (d->kind) {
	case UFK_TEXT:
		if (!valid_text(v, d->max))
			return core_fail(e, CORE_INVALID, d->name,
			    "%s must be at most %zu bytes of text", d->name, d->max);
		break;
	case UFK_NAME:
		if (!valid_name(v, d->max))
			return core_fail(e, CORE_INVALID, d->name, "%s must be at most %zu bytes of text "
			    "on one line, without control characters", d->name, d->max);
		break;
	case UFK_USERNAME:
		if (!valid_username(v))
			return core_fail(e, CORE_INVALID, d->name,
			    "username must be 1 to 100 characters without spaces");
		break;
	case UFK_EMAIL:
		if (!valid_email(v))
			return core_fail(e, CORE_INVALID, d->name, "email must be a valid e-mail address");
		break;
	case UFK_ENUM:
	case UFK_LEVEL: {
		const char *canon = NULL;

		for (const char *const *c = d->choices; *c; c++)
			if (strcasecmp(*c, v) == 0)
				canon = *c;
		if (canon == NULL) {
			char list[128] = "";

			for (const char *const *c = d->choices; *c; c++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				    c == d->choices ? "" : ", ", *c);
			return core_fail(e, CORE_INVALID, d->name, "%s must be one of: %s", d->name, list);
		}
		v = canon;
		break;
	}
	case UFK_DATE:
		/* A date-time stands for its date as written (for clients that only send those). */
		if (strlen(v) > 10 && valid_datetime(v)) {
			if ((v = arena_strndup(a, v, 10)) == NULL)
				return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
		} else if (!valid_date(v))
			return core_fail(e, CORE_INVALID, d->name, "%s must be a date (YYYY-MM-DD)", d->name);
		break;
	case UFK_TIME:
		if (!valid_datetime(v))
			return core_fail(e, CORE_INVALID, d->name,
			    "%s must be an ISO 8601 date or date-time (offsets up to ±15:59)", d->name);
		break;
	case UFK_LINE:
		if (*v == '\0') {
			v = NULL;
			break;
		}
		if (!valid_line(v, d->max))
			return core_fail(e, CORE_INVALID, d->name,
			    "%s must be at most %zu bytes of text on one line", d->name, d->max);
		break;
	case UFK_USER:
		if (*v == '\0') {
			v = NULL;
			break;
		}
		if (!valid_uuid(v))
			return core_fail(e, CORE_INVALID, d->name, "%s must be the uid of a user", d->name);
		break;
	case UFK_BOOL:
		if (strcasecmp(v, "true") == 0)
			v = "true";
		else if (strcasecmp(v, "false") == 0)
			v = "false";
		else
			return core_fail(e, CORE_INVALID, d->name, "%s must be true or false", d->name);
		break;
	case UFK_TEAM:
		if (*v == '\0') {
			v = NULL;
			break;
		}
		if (!valid_text(v, d->max))
			return core_fail(e, CORE_INVALID, d->name, "team must be a team name");
		break;
	case UFK_VALUES:
		return core_fail(e, CORE_INVALID, d->name,
		    "%s must be a list of objects (a JSON array)", d->name);
	case UFK_ROLES:
		if (!p->set[f])
			p->nroles = 0;
		p->set[f] = true;
		if (*v == '\0')
			return CORE_OK;		/* an empty value clears the set */
		if (!role_name_ok(v))
			return core_fail(e, CORE_INVALID, d->name,
			    "roles must be lowercase names (letters, digits, - and _)");
		for (size_t i = 0; i < p->nroles; i++)
			if (strcmp(p->roles[i], v) == 0)
				return CORE_OK;
		if (p->nroles >= USER_MAX_ROLES)
			return core_fail(e, CORE_INVALID, d->name, "at most %d roles", USER_MAX_ROLES);
		p->roles[p->nroles++] = v;
		return CORE_OK;
	}
	p->set[f] = true;
	p->val[f] = v ? arena_strdup(a, v) : NULL;
	return CORE_OK;
}

/* The sub-attributes each multi-valued attribute has (RFC 7643 §4.1.2). */
static bool
value_sub_allowed(enum ufield f, enum uvsub k)
{
	if (f == UF_ADDRESSES)
		return k != UV_VALUE && k != UV_DISPLAY;
	return k == UV_VALUE || k == UV_DISPLAY || k == UV_TYPE;
}

enum core_status
user_patch_set_values(struct arena *a, struct user_patch *p, enum ufield f,
    const struct user_value *v, size_t n, struct core_err *e)
{
	const char	*name = ufields[f].name;
	struct buf	 b;
	struct jsonw	 w;
	size_t		 primaries = 0;

	if (ufields[f].kind != UFK_VALUES)
		return core_fail(e, CORE_INVALID, name, "%s is not a list of values", name);
	if (n > USER_MAX_VALUES)
		return core_fail(e, CORE_INVALID, name, "%s has at most %d values", name,
		    USER_MAX_VALUES);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < UV__MAX; k++) {
			const char *s = v[i].sub[k];
			bool long_text = k == UV_FORMATTED || k == UV_STREET_ADDRESS;

			if (s == NULL)
				continue;
			if (!value_sub_allowed(f, (enum uvsub)k))
				return core_fail(e, CORE_INVALID, name, "%s values have no %s", name,
				    user_value_names[k]);
			if (long_text ? !valid_text(s, 1024) : !valid_line(s, 256))
				return core_fail(e, CORE_INVALID, name,
				    "%s.%s must be at most %d bytes of text%s", name,
				    user_value_names[k], long_text ? 1024 : 256,
				    long_text ? "" : " on one line");
		}
		primaries += v[i].primary;
	}
	if (primaries > 1)
		return core_fail(e, CORE_INVALID, name, "at most one of %s can be primary", name);
	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(&w);
		for (int k = 0; k < UV__MAX; k++)
			if (v[i].sub[k] != NULL)
				jsonw_kstr(&w, user_value_names[k], v[i].sub[k]);
		if (v[i].primary)
			jsonw_kbool(&w, "primary", true);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	p->set[f] = true;
	p->val[f] = b.failed ? NULL : arena_strndup(a, b.data, b.len);
	buf_free(&b);
	if (p->val[f] == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	return CORE_OK;
}

bool
user_email_placeholder(const char *email)
{
	size_t n = email ? strlen(email) : 0, d = strlen("@" USER_NO_EMAIL_DOMAIN);

	return n > d && strcasecmp(email + n - d, "@" USER_NO_EMAIL_DOMAIN) == 0;
}
