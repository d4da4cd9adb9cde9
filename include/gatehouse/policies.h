/* policies.h: policies, given to one user or to one group, and the policies that apply to a user. */
#ifndef GATEHOUSE_POLICIES_H
#define GATEHOUSE_POLICIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/users.h"

struct policy {
	int64_t		 id;
	const char	*name;		/* 1–100 bytes, unique case-insensitively */
	const char	*description;	/* at most 2000 bytes */
	int64_t		 assignments;	/* to users and to groups */
	const char	*created_at;
};

/* A policy given to one user or to one group (exactly one of user_uid and group_key). */
struct policy_assignment {
	int64_t		 id;
	int64_t		 policy_id;
	const char	*user_uid;
	const char	*group_key;
	const char	*created_at;
	bool		 created;	/* policies_assign: it did not exist before */
};

/*
 * Policies are named by id as text (not an id: not found). Each change is
 * one transaction with one audit event: policy.create, policy.delete,
 * policy.assign, policy.unassign.
 */
enum core_status policies_create(struct core_ctx *, const char *name, const char *description,
		    struct policy *out, struct core_err *);
enum core_status policies_list(struct core_ctx *, struct policy **out, size_t *n,
		    struct core_err *);
/* Its assignments go with it. */
enum core_status policies_delete(struct core_ctx *, const char *id, struct core_err *);
/*
 * Assigns the policy to a user (user != NULL) or to a group (group_key !=
 * NULL), not both. A guest cannot be assigned policies (CORE_INVALID on
 * "user"). Assigning twice is not an error: out is the existing assignment,
 * out->created is false, and nothing is recorded.
 */
enum core_status policies_assign(struct core_ctx *, const char *id, const struct user_ref *user,
		    const char *group_key, struct policy_assignment *out, struct core_err *);
enum core_status policies_unassign(struct core_ctx *, const char *id, const char *assignment_id,
		    struct core_err *);
/* The assignments of one policy, oldest first. */
enum core_status policies_assignments(struct core_ctx *, const char *id,
		    struct policy_assignment **out, size_t *n, struct core_err *);

/* A policy as it applies to one user: directly, through groups, or both. */
struct user_policy {
	struct policy	 policy;		/* assignments not counted (0) */
	int64_t		 assignment_id;		/* the direct assignment, 0 when none */
	const char	**groups;		/* keys of the user's groups that have it */
	size_t		 ngroups;
};

/* A user's policies by name; *out lives in the context's arena. */
enum core_status policies_of_user(struct core_ctx *, const struct user_ref *,
		    struct user_policy **out, size_t *n, struct core_err *);

#endif
