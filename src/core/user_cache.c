/*
 * user_cache.c: each worker keeps the rows of the users it read last by uid,
 * so that reading one again (a console's or an identity provider's repeated
 * GET) costs no database round trip.
 *
 * An entry is served only while nothing can have changed it:
 *  - A change made through this server: every transaction that commits bumps
 *    its org's generation in memory shared by the master's children (workers
 *    and the jobs runner) before its request is answered, and an entry holds
 *    the generation read before its row was. A client that changed a user
 *    and then reads it, on any worker, never gets the old row.
 *  - Any other writer (an operator's psql, gatehousectl, another host): the
 *    triggers of sql/011_user_cache.sql notify channel gatehouse_users with
 *    the org's id when they commit, and a worker drains its notifications
 *    before it serves an entry. Such a change is seen within the time the
 *    notification takes to arrive, as the key cache sees revocations.
 *  - An entry made on an earlier database connection (which may have missed
 *    notifications) is not served, nor one older than UC_TTL.
 * Only reads of their own use it: inside a transaction a read must see the
 * transaction's own changes. Processes without the shared memory (the CLI,
 * CGI, a single inherited worker) have no cache.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <libpq-fe.h>

#include "gatehouse/db.h"
#include "gatehouse/deadline.h"
#include "gatehouse/users.h"
#include "users_internal.h"

#define UC_ENTRIES	32		/* a worker's; ~5 KiB of libpq result each */
#define UC_ORG_SLOTS	4096		/* orgs share a generation when they share a slot */
#define UC_TTL		10.0		/* seconds: a backstop, not the mechanism */

struct uc_shared {
	_Atomic uint64_t	 all;		/* bumped by a commit of no one org */
	_Atomic uint64_t	 gen[UC_ORG_SLOTS];
};

struct uc_entry {
	int64_t		 org;		/* 0: empty */
	char		 uid[40];
	uint64_t	 gen;
	unsigned	 conn;		/* db_generation() when it was read */
	double		 at;		/* CLOCK_MONOTONIC */
	uint64_t	 used;		/* for eviction: least recently used goes */
	PGresult	*row;		/* one row of USER_COLS */
};

static struct uc_shared	*shared;
static struct uc_entry	 entries[UC_ENTRIES];
static uint64_t		 clock_uses;

int
user_cache_init(void)
{
	void *p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);

	if (p == MAP_FAILED)
		return -1;
	shared = p;
	return 0;
}

static _Atomic uint64_t *
slot(int64_t org)
{
	return &shared->gen[((uint64_t)org * 0x9e3779b97f4a7c15ULL >> 32) % UC_ORG_SLOTS];
}

static void
drop(struct uc_entry *e)
{
	PQclear(e->row);
	memset(e, 0, sizeof(*e));
}

/* A change committed elsewhere (sql/011_user_cache.sql): that org's entries go. */
static void
forget(const char *channel, const char *payload)
{
	int64_t org;

	if (strcmp(channel, "gatehouse_users") != 0)
		return;
	org = strtoll(payload, NULL, 10);
	for (size_t i = 0; i < UC_ENTRIES; i++)
		if (entries[i].org != 0 && (org == 0 || entries[i].org == org))
			drop(&entries[i]);
}

void
user_cache_changed(int64_t org)
{
	if (shared != NULL)
		atomic_fetch_add_explicit(org != 0 ? slot(org) : &shared->all, 1,
		    memory_order_release);
}

bool
user_cache_on(void)
{
	return shared != NULL;
}

uint64_t
user_cache_gen(int64_t org)
{
	/* Both only grow, so their sum changes whenever either does. */
	return shared != NULL ? atomic_load_explicit(&shared->all, memory_order_acquire) +
	    atomic_load_explicit(slot(org), memory_order_acquire) : 0;
}

bool
user_cache_get(struct arena *a, int64_t org, const char *uid, struct user *u)
{
	uint64_t gen;

	if (shared == NULL || org == 0)
		return false;
	db_on_notify(forget);
	/* Without a live connection nothing cached can be vouched for. */
	if (db_notifications() != 0)
		return false;
	gen = user_cache_gen(org);
	for (size_t i = 0; i < UC_ENTRIES; i++) {
		struct uc_entry *e = &entries[i];

		if (e->org != org || strcmp(e->uid, uid) != 0)
			continue;
		if (e->gen != gen || e->conn != db_generation() || mono_seconds() - e->at > UC_TTL) {
			drop(e);
			return false;
		}
		e->used = ++clock_uses;
		users_from_row(a, e->row, 0, u);
		return true;
	}
	return false;
}

void
user_cache_put(int64_t org, const char *uid, uint64_t gen, PGresult *row)
{
	struct uc_entry *e = &entries[0];

	if (shared == NULL || org == 0 || strlen(uid) >= sizeof(e->uid) || PQntuples(row) != 1) {
		PQclear(row);
		return;
	}
	for (size_t i = 0; i < UC_ENTRIES; i++) {
		if (entries[i].org == org && strcmp(entries[i].uid, uid) == 0) {
			e = &entries[i];
			break;
		}
		if (entries[i].used < e->used)
			e = &entries[i];
	}
	drop(e);
	e->org = org;
	strcpy(e->uid, uid);
	e->gen = gen;
	e->conn = db_generation();
	e->at = mono_seconds();
	e->used = ++clock_uses;
	e->row = row;
}
