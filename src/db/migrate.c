/* migrate.c: applies the numbered SQL files once each, in order, each in its own transaction. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/db.h"

/* Migration files are NNN_name.sql: three digits, an underscore, lowercase words. */
static int
migration_version(const char *name)
{
	size_t n = strlen(name);

	if (n < 9 || strcmp(name + n - 4, ".sql") != 0 || name[3] != '_')
		return -1;
	for (int i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	for (size_t i = 4; i < n - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_'))
			return -1;
	return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

/* IF NOT EXISTS notices are expected on every run; errors are reported separately. */
static void
notice_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "rb");
	char	*s = NULL;
	long	 n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (s = malloc((size_t)n + 1)) != NULL) {
		if (fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		} else
			s[n] = '\0';
	}
	fclose(f);
	return s;
}

static int
run(PGconn *c, const char *sql, const char *what)
{
	PGresult	*r = PQexec(c, sql);
	ExecStatusType	 st = PQresultStatus(r);
	int		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "gatehousectl: migrate: %s: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

int
db_migrate(const char *admin_conninfo, const char *sql_dir, bool verbose)
{
	PGconn		*c;
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc = 1, applied = 0;

	if ((d = opendir(sql_dir)) == NULL) {
		fprintf(stderr, "gatehousectl: migrate: %s: %s\n", sql_dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (migration_version(de->d_name) < 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));
			if (nn == NULL)
				break;
			names = nn;
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);

	c = PQconnectdb(admin_conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "gatehousectl: migrate: cannot connect: %s", PQerrorMessage(c));
		goto out;
	}
	PQsetNoticeProcessor(c, notice_quiet, NULL);
	/* One migrator at a time; the key is arbitrary but fixed. */
	if (run(c, "SELECT pg_advisory_lock(727001)", "lock") != 0 ||
	    run(c, "CREATE SCHEMA IF NOT EXISTS gatehouse; "
	        "CREATE TABLE IF NOT EXISTS gatehouse.schema_migrations ("
	        " version integer PRIMARY KEY, name text NOT NULL,"
	        " applied_at timestamptz NOT NULL DEFAULT now())", "bootstrap") != 0)
		goto out;

	for (size_t i = 0; i < n; i++) {
		char		 ver[8], path[4096];
		const char	*p[2] = { ver, names[i] };
		PGresult	*r;
		char		*sql;
		int		 done;

		snprintf(ver, sizeof(ver), "%d", migration_version(names[i]));
		r = PQexecParams(c, "SELECT 1 FROM gatehouse.schema_migrations WHERE version = $1::int",
		    1, NULL, p, NULL, NULL, 0);
		done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "gatehousectl: migrate: %s", PQresultErrorMessage(r));
			PQclear(r);
			goto out;
		}
		PQclear(r);
		if (done)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sql_dir, names[i]);
		if ((sql = slurp(path)) == NULL) {
			fprintf(stderr, "gatehousectl: migrate: %s: %s\n", path, strerror(errno));
			goto out;
		}
		if (run(c, "BEGIN", "begin") != 0) {
			free(sql);
			goto out;
		}
		if (run(c, sql, names[i]) != 0) {
			free(sql);
			run(c, "ROLLBACK", "rollback");
			goto out;
		}
		free(sql);
		r = PQexecParams(c, "INSERT INTO gatehouse.schema_migrations (version, name) "
		    "VALUES ($1::int, $2)", 2, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "gatehousectl: migrate: %s", PQresultErrorMessage(r));
			PQclear(r);
			run(c, "ROLLBACK", "rollback");
			goto out;
		}
		PQclear(r);
		if (run(c, "COMMIT", "commit") != 0)
			goto out;
		applied++;
		if (verbose)
			printf("applied %s\n", names[i]);
	}
	if (verbose)
		printf("%d migration(s) applied\n", applied);
	rc = 0;
out:
	PQfinish(c);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
