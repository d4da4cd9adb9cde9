/*
 * surfaces.c: every API surface of the program, in one list. A new surface
 * is its own file exporting one `struct surface`, one line here, and its
 * sources in Makefile.am; no other surface's file changes.
 */
#include <stddef.h>

#include "gatehouse/api.h"

extern const struct surface surface_native;
extern const struct surface surface_web;
extern const struct surface surface_faction;
extern const struct surface surface_attackforge;
extern const struct surface surface_secureframe;
extern const struct surface surface_allthenticate;
extern const struct surface surface_scim;
extern const struct surface surface_canary;

const struct surface *const api_surfaces[] = {
	&surface_native,	/* first: paths under no surface's prefix answer in its shape */
	&surface_web,
	&surface_faction,
	&surface_attackforge,
	&surface_secureframe,
	&surface_allthenticate,
	&surface_scim,
	&surface_canary,
	NULL,
};
