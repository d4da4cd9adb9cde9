/*
 * scim_schema.c: the User, enterprise User and Group schemas Gatehouse
 * supports, as tables (RFC 7643 §4 and §7), and their /Schemas representation.
 * The tables drive everything else: attribute names in any case, canonical
 * trees, projection, PATCH paths and mutability. They list exactly what is
 * stored; attributes of RFC 7643 that are not here are ignored on input.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/buf.h"

#include "scim.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))
/* name, type, multi, required, caseExact, mutability, returned, unique, description */
#define ATTR(name, type, multi, req, exact, mut, ret, uniq, desc) \
	{ name, type, multi, req, exact, mut, ret, uniq, desc, NULL, NULL, NULL, 0 }
#define STR(name, desc)	ATTR(name, ST_STRING, false, false, false, SM_READWRITE, SR_DEFAULT, false, desc)

static const char *const email_types[] = { "work", "home", "other", NULL };
static const char *const phone_types[] = { "work", "home", "mobile", "fax", "pager", "other", NULL };
static const char *const group_kinds[] = { "direct", "indirect", NULL };
static const char *const member_kinds[] = { "User", NULL };
static const char *const ref_user[] = { "User", NULL };
static const char *const ref_group[] = { "Group", NULL };
static const char *const ref_member[] = { "User", NULL };

/* --- common attributes (RFC 7643 §3.1) ------------------------------------------ */

static const struct scim_attr meta_sub[] = {
	ATTR("resourceType", ST_STRING, false, false, true, SM_READONLY, SR_DEFAULT, false,
	    "The name of the resource type of the resource."),
	ATTR("created", ST_DATETIME, false, false, false, SM_READONLY, SR_DEFAULT, false,
	    "When the resource was added to the service provider."),
	ATTR("lastModified", ST_DATETIME, false, false, false, SM_READONLY, SR_DEFAULT, false,
	    "When the resource was last changed."),
	ATTR("location", ST_REFERENCE, false, false, true, SM_READONLY, SR_DEFAULT, false,
	    "The URI of the resource."),
	ATTR("version", ST_STRING, false, false, true, SM_READONLY, SR_DEFAULT, false,
	    "The version of the resource, a weak entity tag."),
};

const struct scim_attr scim_common[] = {
	ATTR("id", ST_STRING, false, false, true, SM_READONLY, SR_ALWAYS, true,
	    "The service provider's identifier of the resource; never reused."),
	ATTR("externalId", ST_STRING, false, false, true, SM_READWRITE, SR_DEFAULT, false,
	    "The provisioning client's identifier of the resource."),
	{ "meta", ST_COMPLEX, false, false, false, SM_READONLY, SR_DEFAULT, false,
	  "Resource metadata.", NULL, NULL, meta_sub, N(meta_sub) },
};
const size_t scim_ncommon = N(scim_common);

/* --- User (RFC 7643 §4.1) ------------------------------------------------------- */

static const struct scim_attr name_sub[] = {
	STR("formatted", "The full name, formatted for display."),
	STR("familyName", "The family name (last name)."),
	STR("givenName", "The given name (first name)."),
	STR("middleName", "The middle name(s)."),
};

static const struct scim_attr email_sub[] = {
	STR("value", "An e-mail address, kept as given."),
	STR("display", "A human-readable name."),
	{ "type", ST_STRING, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "A label: work, home or other.", email_types, NULL, NULL, 0 },
	ATTR("primary", ST_BOOLEAN, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	    "The preferred address; true at most once."),
};

static const struct scim_attr phone_sub[] = {
	STR("value", "A phone number, kept as given."),
	STR("display", "A human-readable name."),
	{ "type", ST_STRING, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "A label: work, home, mobile, fax, pager or other.", phone_types, NULL, NULL, 0 },
	ATTR("primary", ST_BOOLEAN, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	    "The preferred number; true at most once."),
};

static const struct scim_attr address_sub[] = {
	STR("formatted", "The full mailing address, formatted for display."),
	STR("streetAddress", "The street address."),
	STR("locality", "The city or locality."),
	STR("region", "The state or region."),
	STR("postalCode", "The zip or postal code."),
	STR("country", "The country."),
	{ "type", ST_STRING, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "A label: work, home or other.", email_types, NULL, NULL, 0 },
	ATTR("primary", ST_BOOLEAN, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	    "The preferred address; true at most once."),
};

static const struct scim_attr user_group_sub[] = {
	ATTR("value", ST_STRING, false, false, true, SM_READONLY, SR_DEFAULT, false,
	    "The id of the group."),
	{ "$ref", ST_REFERENCE, false, false, true, SM_READONLY, SR_DEFAULT, false,
	  "The URI of the group.", NULL, ref_group, NULL, 0 },
	ATTR("display", ST_STRING, false, false, false, SM_READONLY, SR_DEFAULT, false,
	    "The group's display name."),
	{ "type", ST_STRING, false, false, false, SM_READONLY, SR_DEFAULT, false,
	  "How the user is a member: direct.", group_kinds, NULL, NULL, 0 },
};

static const struct scim_attr user_attrs[] = {
	ATTR("userName", ST_STRING, false, true, false, SM_READWRITE, SR_DEFAULT, true,
	    "The sign-in name, unique in the organisation in any case."),
	{ "name", ST_COMPLEX, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "The components of the user's name.", NULL, NULL, name_sub, N(name_sub) },
	STR("displayName", "The name shown for the user."),
	STR("title", "The user's title."),
	STR("preferredLanguage", "Preferred languages, as in Accept-Language."),
	ATTR("active", ST_BOOLEAN, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	    "Whether the user may sign in: false disables the account."),
	{ "emails", ST_COMPLEX, true, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "E-mail addresses, kept as given; the sign-in e-mail is chosen from them.",
	  NULL, NULL, email_sub, N(email_sub) },
	{ "phoneNumbers", ST_COMPLEX, true, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "Phone numbers, kept as given.", NULL, NULL, phone_sub, N(phone_sub) },
	{ "addresses", ST_COMPLEX, true, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "Physical mailing addresses.", NULL, NULL, address_sub, N(address_sub) },
	{ "groups", ST_COMPLEX, true, false, false, SM_READONLY, SR_DEFAULT, false,
	  "The groups the user belongs to; change them through /Groups.", NULL, NULL,
	  user_group_sub, N(user_group_sub) },
};

const struct scim_schema scim_user_schema = { URN_USER, "User", "User Account", user_attrs,
	N(user_attrs) };

/* --- enterprise User (RFC 7643 §4.3) --------------------------------------------- */

static const struct scim_attr manager_sub[] = {
	ATTR("value", ST_STRING, false, false, true, SM_READWRITE, SR_DEFAULT, false,
	    "The id of the manager's User resource."),
	{ "$ref", ST_REFERENCE, false, false, true, SM_READONLY, SR_DEFAULT, false,
	  "The URI of the manager's User resource.", NULL, ref_user, NULL, 0 },
	ATTR("displayName", ST_STRING, false, false, false, SM_READONLY, SR_DEFAULT, false,
	    "The manager's display name."),
};

static const struct scim_attr enterprise_attrs[] = {
	STR("employeeNumber", "A number or id assigned by the organisation."),
	STR("department", "The department."),
	{ "manager", ST_COMPLEX, false, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "The user's manager: another user of the organisation.", NULL, NULL, manager_sub,
	  N(manager_sub) },
};

const struct scim_schema scim_enterprise_schema = { URN_ENTERPRISE, "EnterpriseUser",
	"Enterprise User", enterprise_attrs, N(enterprise_attrs) };

/* --- Group (RFC 7643 §4.2) ------------------------------------------------------ */

static const struct scim_attr member_sub[] = {
	ATTR("value", ST_STRING, false, false, true, SM_IMMUTABLE, SR_DEFAULT, false,
	    "The id of the member's User resource."),
	{ "$ref", ST_REFERENCE, false, false, true, SM_IMMUTABLE, SR_DEFAULT, false,
	  "The URI of the member.", NULL, ref_member, NULL, 0 },
	ATTR("display", ST_STRING, false, false, false, SM_READONLY, SR_DEFAULT, false,
	    "The member's display name."),
	{ "type", ST_STRING, false, false, false, SM_IMMUTABLE, SR_DEFAULT, false,
	  "The kind of member: User (groups have users as members).", member_kinds, NULL, NULL,
	  0 },
};

static const struct scim_attr group_attrs[] = {
	ATTR("displayName", ST_STRING, false, true, false, SM_READWRITE, SR_DEFAULT, false,
	    "The group's name, 1 to 100 bytes on one line."),
	{ "members", ST_COMPLEX, true, false, false, SM_READWRITE, SR_DEFAULT, false,
	  "The users in the group.", NULL, NULL, member_sub, N(member_sub) },
};

const struct scim_schema scim_group_schema = { URN_GROUP, "Group", "Group", group_attrs,
	N(group_attrs) };

const struct scim_rtype scim_user_type = { "User", "/Users", "User Account", &scim_user_schema,
	&scim_enterprise_schema };
const struct scim_rtype scim_group_type = { "Group", "/Groups", "Group", &scim_group_schema,
	NULL };

/* --- lookups -------------------------------------------------------------------- */

const struct scim_attr *
scim_attr_find(const struct scim_attr *a, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (strcasecmp(a[i].name, name) == 0)
			return &a[i];
	return NULL;
}

const struct scim_attr *
scim_attr_of(const struct scim_rtype *t, const char *uri, const char *name, bool *ext)
{
	const struct scim_attr *a;

	*ext = false;
	if (uri == NULL || strcasecmp(uri, t->core->id) == 0) {
		if ((a = scim_attr_find(t->core->attrs, t->core->n, name)) != NULL)
			return a;
		return uri == NULL ? scim_attr_find(scim_common, scim_ncommon, name) : NULL;
	}
	if (t->ext != NULL && strcasecmp(uri, t->ext->id) == 0) {
		*ext = true;
		return scim_attr_find(t->ext->attrs, t->ext->n, name);
	}
	return NULL;
}

/* --- /Schemas ------------------------------------------------------------------- */

static const char *const type_names[] = { [ST_STRING] = "string", [ST_BOOLEAN] = "boolean",
	[ST_COMPLEX] = "complex", [ST_DATETIME] = "dateTime", [ST_REFERENCE] = "reference" };
static const char *const mut_names[] = { [SM_READWRITE] = "readWrite",
	[SM_READONLY] = "readOnly", [SM_IMMUTABLE] = "immutable", [SM_WRITEONLY] = "writeOnly" };
static const char *const ret_names[] = { [SR_DEFAULT] = "default", [SR_ALWAYS] = "always",
	[SR_NEVER] = "never", [SR_REQUEST] = "request" };

static void
strings(struct jsonw *w, const char *key, const char *const *v)
{
	if (v == NULL)
		return;
	jsonw_key(w, key);
	jsonw_arr_open(w);
	for (; *v; v++)
		jsonw_str(w, *v);
	jsonw_arr_close(w);
}

static void
attr_json(struct jsonw *w, const struct scim_attr *a)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "name", a->name);
	jsonw_kstr(w, "type", type_names[a->type]);
	jsonw_kbool(w, "multiValued", a->multi);
	jsonw_kstr(w, "description", a->desc);
	jsonw_kbool(w, "required", a->required);
	if (a->type != ST_COMPLEX && a->type != ST_BOOLEAN)
		jsonw_kbool(w, "caseExact", a->case_exact);
	strings(w, "canonicalValues", a->canon);
	jsonw_kstr(w, "mutability", mut_names[a->mut]);
	jsonw_kstr(w, "returned", ret_names[a->ret]);
	if (a->type != ST_COMPLEX && a->type != ST_BOOLEAN)
		jsonw_kstr(w, "uniqueness", a->unique ? "server" : "none");
	strings(w, "referenceTypes", a->refs);
	if (a->sub != NULL) {
		jsonw_key(w, "subAttributes");
		jsonw_arr_open(w);
		for (size_t i = 0; i < a->nsub; i++)
			attr_json(w, &a->sub[i]);
		jsonw_arr_close(w);
	}
	jsonw_obj_close(w);
}

void
scim_schema_json(struct jsonw *w, const struct scim_schema *s, const char *base)
{
	char loc[512];

	jsonw_obj_open(w);
	jsonw_key(w, "schemas");
	jsonw_arr_open(w);
	jsonw_str(w, URN_SCHEMA);
	jsonw_arr_close(w);
	jsonw_kstr(w, "id", s->id);
	jsonw_kstr(w, "name", s->name);
	jsonw_kstr(w, "description", s->desc);
	jsonw_key(w, "attributes");
	jsonw_arr_open(w);
	for (size_t i = 0; i < s->n; i++)
		attr_json(w, &s->attrs[i]);
	jsonw_arr_close(w);
	jsonw_key(w, "meta");
	jsonw_obj_open(w);
	jsonw_kstr(w, "resourceType", "Schema");
	snprintf(loc, sizeof(loc), "%s/Schemas/%s", base, s->id);
	jsonw_kstr(w, "location", loc);
	jsonw_obj_close(w);
	jsonw_obj_close(w);
}
