/* groups.h: groups (Allthenticate groups, Canary flocks) and their members. */
#ifndef GATEHOUSE_GROUPS_H
#define GATEHOUSE_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/users.h"
/* Policies are given to groups; surfaces that serve groups serve them too. */
#include "gatehouse/policies.h"

/* --- groups ------------------------------------------------------------------- */

enum group_role { GROUP_MEMBER, GROUP_MANAGER, GROUP_WATCHER, GROUP_ROLE__MAX };

const char	*group_role_name(enum group_role);
/* member, manager or watcher in any case; otherwise CORE_INVALID naming "role". */
enum core_status group_role_parse(const char *, enum group_role *, struct core_err *);

/*
 * A member's access to the group's projects (AttackForge's View, Upload,
 * Edit), beside its role; a new membership has view.
 */
enum group_access { GROUP_VIEW, GROUP_UPLOAD, GROUP_EDIT, GROUP_ACCESS__MAX };

const char	*group_access_name(enum group_access);

struct group {
	int64_t		 id;
	const char	*key;		/* client-visible ("flock:default"), unique case-insensitively */
	const char	*name;
	int64_t		 members;	/* not counting removed users */
	const char	*created_at;
	const char	*uid;		/* never reused, unlike a key (SCIM's id) */
	const char	*external_id;	/* a directory's own id for it, or "" */
	int64_t		 version;	/* changes with every change, its members' too */
	const char	*updated_at;
};

/*
 * Groups are named by key, matched case-insensitively. A key is 1–100 bytes
 * without whitespace, control characters, "/" or ","; a name is 1–100 bytes
 * on one line (NULL: the key). A taken key is CORE_CONFLICT on "key".
 */
enum core_status groups_create(struct core_ctx *, const char *key, const char *name,
		    struct group *out, struct core_err *);
enum core_status groups_get(struct core_ctx *, const char *key, struct group *out,
		    struct core_err *);
/* Every group of the org by key; *out lives in the context's arena. */
enum core_status groups_list(struct core_ctx *, struct group **out, size_t *n, struct core_err *);
/* The memberships and the policy assignments of the group go with it. */
enum core_status groups_delete(struct core_ctx *, const char *key, struct core_err *);

/* --- members ------------------------------------------------------------------ */

#define GROUP_MAX_KEYS	100		/* groups one membership call may name */

struct group_member {
	const char	*group_key;
	int64_t		 user_id;
	const char	*user_uid;
	const char	*username;
	const char	*email;
	enum group_role	 role;
	enum group_access access;
	const char	*since;		/* when the user joined */
	bool		 created;	/* groups_member_set: the membership is new */
};

/*
 * Makes the user a member of every named group with role, adding it or
 * changing its role, all or nothing: one transaction, one audit event on the
 * user (group.member.set; none when nothing changes). A guest cannot join
 * (CORE_INVALID on "user"); an unknown group is CORE_NOT_FOUND on "group".
 * out, when not NULL, receives nkeys entries in the order of keys.
 */
enum core_status groups_member_set(struct core_ctx *, const struct user_ref *,
		    const char *const *keys, size_t nkeys, enum group_role,
		    struct group_member *out, struct core_err *);
/*
 * Sets the user's access to one group's projects (group.member.access; no
 * event when nothing changes), in one transaction. A user who is not a
 * member joins as a member when join is true, and is CORE_NOT_FOUND on
 * "group" otherwise. Guests and unknown groups as in groups_member_set.
 */
enum core_status groups_member_access(struct core_ctx *, const struct user_ref *, const char *key,
		    enum group_access, bool join, struct group_member *out, struct core_err *);
/* Takes the user out of every named group (group.member.remove); not a member is CORE_NOT_FOUND. */
enum core_status groups_member_remove(struct core_ctx *, const struct user_ref *,
		    const char *const *keys, size_t nkeys, struct core_err *);
/*
 * groups_member_remove of memberships holding role (GROUP_ROLE__MAX: any):
 * a membership with another role is CORE_NOT_FOUND on "group", and nothing changes.
 */
enum core_status groups_member_remove_as(struct core_ctx *, const struct user_ref *,
		    const char *const *keys, size_t nkeys, enum group_role, struct core_err *);

struct member_page {
	struct group_member	*members;
	size_t			 n;
	const char		*next_cursor;	/* NULL on the last page */
};

/* Members of a group by user id, limit (1–1000) at a time after cursor (NULL: from the start). */
enum core_status groups_members(struct core_ctx *, const char *key, const char *cursor,
		    int limit, struct member_page *out, struct core_err *);

/* One membership of a user. */
struct user_group {
	const char	*key;
	const char	*name;
	enum group_role	 role;
	enum group_access access;
	const char	*since;
	const char	*updated;	/* when the role or the access last changed */
	const char	*uid;		/* the group's */
	int64_t		 user_id;
};

/* The groups of a user by key; *out lives in the context's arena. */
enum core_status groups_of_user(struct core_ctx *, const struct user_ref *,
		    struct user_group **out, size_t *n, struct core_err *);
/*
 * The memberships of the users with these ids, by user id then key: inside
 * the caller's transaction, or outside one as a read of its own.
 */
enum core_status groups_of_users(struct core_ctx *, const int64_t *ids, size_t nids,
		    struct user_group **out, size_t *n, struct core_err *);

/* --- groups as a directory provisions them (SCIM) ------------------------------ */

/*
 * A directory names groups by uid and changes a whole group at once: its
 * name, its external id and its members (users named by uid, as members
 * with role member; a role given elsewhere is kept). Each request is one
 * transaction with one audit event naming the context's surface. Acting on
 * a member is acting on that user: nobody adds or removes a user above
 * their own level, and a guest cannot join.
 */
#define GROUP_MAX_MEMBERS_LISTED	10000	/* members one representation lists */
#define GROUP_MAX_MEMBERS_CHANGED	10000	/* users one change names */

enum core_status groups_get_uid(struct core_ctx *, const char *uid, struct group *out,
		    struct core_err *);
/*
 * Creates a group named name, with an external id ("" for none) and members.
 * Its key is the name with spaces, "/" and "," made "-", or that with a
 * random suffix when taken.
 */
enum core_status groups_provision_create(struct core_ctx *, const char *name,
		    const char *external_id, const char *const *uids, size_t n,
		    struct group *out, struct core_err *);

enum group_change_kind { GCH_NAME, GCH_EXTERNAL_ID, GCH_ADD, GCH_REMOVE, GCH_SET };
struct group_change {
	enum group_change_kind	 kind;
	const char		*value;		/* GCH_NAME, GCH_EXTERNAL_ID */
	const char *const	*uids;		/* GCH_ADD, GCH_REMOVE, GCH_SET (the whole set) */
	size_t			 n;
	bool			 strict;	/* GCH_REMOVE: none a member is CORE_NOT_FOUND */
};
/*
 * Applies changes in order (group.update; nothing recorded when nothing
 * changes). Removing a user who is not a member changes nothing (unless
 * strict: CORE_NOT_FOUND on "members" when none was); adding one
 * who is not a user of the org is CORE_INVALID on "members". if_version as
 * users_update.
 */
enum core_status groups_provision_change(struct core_ctx *, const char *uid,
		    const struct group_change *, size_t n, int if_version, struct group *out,
		    struct core_err *);
enum core_status groups_delete_uid(struct core_ctx *, const char *uid, int if_version,
		    struct core_err *);

/* A member as a directory shows it: the user's uid and display name (else username). */
struct group_entry {
	const char	*uid;
	const char	*display;
};
/*
 * Every member of the group, by user id; CORE_TOO_LARGE naming "members"
 * when there are more than GROUP_MAX_MEMBERS_LISTED.
 */
enum core_status groups_entries(struct core_ctx *, const char *uid, struct group_entry **out,
		    size_t *n, struct core_err *);
/* The entries of several groups (by id) at once: *owner[i] is entry i's group id. */
enum core_status groups_entries_of(struct core_ctx *, const int64_t *ids, size_t nids,
		    struct group_entry **out, int64_t **owner, size_t *n, struct core_err *);

/* A filtered page of groups (filter over group_filter_fields). */
struct group_query {
	const struct fnode	*filter;
	const char		*sort;		/* "name" or "created_at" (default), "-" descending */
	int			 limit;		/* 1..CORE_PAGE_MAX */
	int			 offset;
};
struct group_page {
	struct group	*groups;
	size_t		 n;
	int64_t		 total;		/* matching groups in all */
};
enum core_status groups_find(struct core_ctx *, const struct group_query *, struct group_page *,
		    struct core_err *);
extern const struct ffield	group_filter_fields[];
extern const size_t		group_filter_nfields;

/* One membership, for surfaces that show every user's groups in a list. */
struct group_membership {
	int64_t		 user_id;
	const char	*key;
	enum group_role	 role;
};

/* The most memberships groups_memberships answers: past it, CORE_TOO_LARGE. */
#define GROUP_MEMBERSHIPS_MAX	100000

/*
 * Every membership of every user not removed, ordered by user id then key,
 * in one transaction; *out lives in the context's arena.
 */
enum core_status groups_memberships(struct core_ctx *, struct group_membership **out, size_t *n,
		    struct core_err *);

#endif
