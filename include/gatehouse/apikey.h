/* apikey.h: API keys gh_<org>k<id>_<secret>: their shape and authentication (secrets: secret.h). */
#ifndef GATEHOUSE_APIKEY_H
#define GATEHOUSE_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/secret.h"

struct arena;
struct principal;

#define APIKEY_MAX	SECRET_TOKEN_MAX

/*
 * Splits a presented key. Returns 0 and sets org, id and a pointer to the
 * secret inside token; -1 if the shape is wrong (checked before any lookup).
 */
int	apikey_parse(const char *token, int64_t *org, int64_t *id, const char **secret);
/* Splits a key's public reference gh_<org>k<id> (no secret). 0 on success. */
int	apikey_ref_parse(const char *ref, int64_t *org, int64_t *id);
/* The full key to show once: gh_<org>k<id>_<secret>. */
int	apikey_format(char *out, size_t outsz, int64_t org, int64_t id, const char *secret);

enum apikey_result { APIKEY_OK, APIKEY_INVALID, APIKEY_UNAVAILABLE };

/*
 * Authenticates a presented key against the database and fills p (strings in
 * the arena). INVALID covers malformed, unknown, wrong secret, revoked,
 * expired and inactive owner alike, so a caller learns nothing from which.
 */
enum apikey_result apikey_authenticate(struct arena *, const char *token, struct principal *p);

#endif
