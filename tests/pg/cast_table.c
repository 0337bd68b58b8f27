/*
 * cast_table.c — what mkmig's cast table (src/rules/casts.c) claims, for cast_proof.sh to
 * compare with a real PostgreSQL.
 *
 *   cast_table PG_MAJOR < pairs        lines "FROM<TAB>TO" (types as format_type prints them)
 *
 * prints "FROM<TAB>TO<TAB>A<TAB>E" per line: A = t when ALTER COLUMN TYPE without USING works
 * (an assignment cast), E = t when USING x::TO works (an explicit one), each f otherwise, or
 * "?" for both when the table does not know a type.
 */
#include "mkmig/ctx.h"
#include "rules/casts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cast_table PG_MAJOR < pairs\n");
		return 2;
	}
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	int version = atoi(argv[1]);
	char line[512];
	int rc = 0;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		char *tab = strchr(line, '\t');
		if (!tab) {
			fprintf(stderr, "cast_table: not FROM<TAB>TO: %s\n", line);
			rc = 2;
			continue;
		}
		*tab = '\0';
		PgQuery__TypeName *from = mm_sql_parse_type(&ctx, line), *to = mm_sql_parse_type(&ctx, tab + 1);
		enum mm_cast c = from && to ? mm_cast_between(from, to, version) : MM_CAST_UNKNOWN;
		const char *a = c == MM_CAST_UNKNOWN ? "?" : c == MM_CAST_ASSIGNMENT ? "t" : "f";
		const char *e = c == MM_CAST_UNKNOWN ? "?" : c >= MM_CAST_EXPLICIT ? "t" : "f";
		printf("%s\t%s\t%s\t%s\n", line, tab + 1, a, e);
	}
	mm_ctx_release(&ctx);
	return rc;
}
