/*
 * hold.h: one transaction around several core operations, for core modules
 * only (idempotency, jobs). The work and the record of its answer must commit
 * together or not at all.
 */
#ifndef GATEHOUSE_CORE_HOLD_H
#define GATEHOUSE_CORE_HOLD_H

#include "gatehouse/core.h"

/*
 * Begins a transaction (core_begin) that every operation until core_release
 * runs inside: its core_begin sets a savepoint, its core_commit keeps the
 * work (after checking the deadline) for the outer commit, and its
 * core_abort undoes that operation alone, so a failed lookup does not take
 * the outer work with it.
 */
enum core_status core_hold(struct core_ctx *, struct core_err *);
/*
 * Ends the held transaction as st says (core_end): CORE_OK commits, unless
 * the deadline has passed or the connection went (then the failure is
 * returned); any other st rolls back and is returned.
 */
enum core_status core_release(enum core_status st, struct core_err *);

#endif
