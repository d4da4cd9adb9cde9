/*
 * idempotency.h: Idempotency-Key on creates. The first successful answer to
 * a request sent with a key is kept for IDEM_TTL_HOURS and replayed to a
 * retry; it commits in the transaction of the work it answers.
 */
#ifndef GATEHOUSE_IDEMPOTENCY_H
#define GATEHOUSE_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/core.h"

#define IDEM_KEY_MAX		255
#define IDEM_FP_LEN		32	/* SHA-256 */
#define IDEM_TTL_HOURS		24

enum idem_state {
	IDEM_NEW,		/* first time: the work runs inside the held transaction */
	IDEM_REPLAY,		/* the same request succeeded before: answer holds its answer */
	IDEM_MISMATCH,		/* the key was used for another request */
};

/* A kept answer: what the response was. Strings live in the ctx's arena. */
struct idem_answer {
	int		 status;
	const char	*content_type;
	const char	*headers;	/* header lines, each ending in CRLF; "" for none */
	const char	*body;
};

/* What a key's request is recognised by: its fingerprint is their SHA-256. */
struct idem_request {
	const char	*method;
	const char	*path;
	const char	*query;		/* NULL: none */
	const char	*body;
	size_t		 body_len;
};

/* True when key is 1 to IDEM_KEY_MAX printable ASCII characters. */
bool		 idem_key_valid(const char *key);
/*
 * Claims key (of the API key key_id, in the ctx's org) for request q (its
 * fingerprint); CORE_INVALID naming Idempotency-Key when the key is not valid. IDEM_NEW: a transaction is held open (core_hold) with
 * the claim in it; the caller does the work, then calls idem_finish. A
 * concurrent request with the same key waits here until the first ends, then
 * replays its answer (or, if the first failed, runs itself). A claim older
 * than IDEM_TTL_HOURS is forgotten.
 */
enum core_status idem_begin(struct core_ctx *, int64_t key_id, const char *key,
		    const struct idem_request *q, enum idem_state *, struct idem_answer *,
		    struct core_err *);
/*
 * Ends the transaction of an IDEM_NEW claim. keep (the work succeeded): a
 * is stored with the claim and everything commits (CORE_OK), unless the
 * deadline has passed or the work rolled back (then the failure, and nothing
 * was done). !keep: everything rolls back, keeping nothing, so a retry runs
 * again; CORE_OK.
 */
enum core_status idem_finish(struct core_ctx *, bool keep, const struct idem_answer *,
		    struct core_err *);

#endif
