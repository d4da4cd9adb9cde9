/* scim-ops.h: SCIM's names of the comparison operators, for the tests that print filter trees. */
#ifndef TESTS_SCIM_OPS_H
#define TESTS_SCIM_OPS_H

#include "gatehouse/filter.h"

/* pr has none here: it takes no value. */
static const char *const scim_op_names[FOP__MAX] = {
	[FOP_EQ] = "eq", [FOP_NE] = "ne", [FOP_GT] = "gt", [FOP_GE] = "ge",
	[FOP_LT] = "lt", [FOP_LE] = "le", [FOP_PREFIX] = "sw", [FOP_SUFFIX] = "ew",
	[FOP_CONTAINS] = "co",
};

#endif
