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
};

/* The groups of a user by key; *out lives in the context's arena. */
enum core_status groups_of_user(struct core_ctx *, const struct user_ref *,
		    struct user_group **out, size_t *n, struct core_err *);

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
