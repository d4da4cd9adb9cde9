/* health.c: readiness as the API reports it, so no surface needs the database layer. */
#include "gatehouse/core.h"
#include "gatehouse/db.h"

const char *
core_ready(int *schema_version)
{
	*schema_version = SCHEMA_VERSION;
	return db_ready();
}
