/*
 * hold.h: one transaction around several core operations, for core modules
 * only (idempotency, jobs). The work and the record of its answer must commit
 * together or not at all.
 */
#ifndef GATEHOUSE_CORE_HOLD_H
#define GATEHOUSE_CORE_HOLD_H

#include "gatehouse/core.h"

/*
 * Begins a transaction (core_begin) that every core_begin/core_commit until
 * core_release joins instead of ending: their commit only checks the
 * deadline, and any core_abort rolls back the whole of it.
 */
enum core_status core_hold(struct core_ctx *, struct core_err *);
/*
 * Ends the held transaction as st says (core_end): CORE_OK commits, unless
 * the deadline has passed or an operation inside rolled it back (then the
 * failure is returned); any other st rolls back and is returned.
 */
enum core_status core_release(enum core_status st, struct core_err *);

#endif
