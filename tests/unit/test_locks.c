/* test_locks.c — the lock authority: every statement node type the parser knows has an entry,
 * and the facts for the statements migrations write (pg-facts §1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/locks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
	struct mm_ctx *ctx = mm_xmalloc(sizeof(*ctx));
	mm_ctx_init(ctx);
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	struct mm_ctx *ctx = *state;
	mm_ctx_release(ctx);
	free(ctx);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mm_sql_shutdown();
	return 0;
}

/* Walks the parser's own Node descriptor: a statement type added by a new libpg_query fails
 * here until locks_stmt.c says what it locks. */
static void test_every_statement_type_has_an_entry(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &pg_query__node__descriptor;
	unsigned stmts = 0, missing = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const char *name = d->fields[i].name;
		size_t len = strlen(name);
		if (len < 5 || strcmp(name + len - 5, "_stmt") != 0)
			continue;
		stmts++;
		if (!mm_locks_has_entry((PgQuery__Node__NodeCase)d->fields[i].id)) {
			fprintf(stderr, "no lock entry for %s\n", name);
			missing++;
		}
	}
	assert_true(stmts > 100);
	assert_int_equal(missing, 0);
}

static struct mm_stmt_locks locks_of(struct mm_ctx *ctx, const char *sql, int version)
{
	PgQuery__Node *n = mm_sql_parse_one(ctx, sql, "test");
	assert_non_null(n);
	struct mm_stmt_locks out;
	mm_locks_of_stmt(ctx, n, version, &out);
	return out;
}

/* "name=MODE/work" for each lock, joined by "; " (unnamed targets by their note). */
static const char *describe(struct mm_ctx *ctx, const char *sql, int version)
{
	struct mm_stmt_locks l = locks_of(ctx, sql, version);
	if (l.kind == MM_LOCKS_NONE)
		return "none";
	if (l.kind == MM_LOCKS_UNKNOWN)
		return "unknown";
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < l.items.len; i++) {
		const struct mm_stmt_lock *x = mm_vec_at(&l.items, i);
		mm_buf_addf(&b, "%s%s%s=%s/%s", i ? "; " : "", x->is_index ? "index " : "", x->name ? x->name : x->note,
		            mm_lock_name(x->mode), mm_work_name(x->work));
	}
	char *s = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return s;
}

static void test_facts(void **state)
{
	struct mm_ctx *ctx = *state;
	static const struct {
		const char *sql;
		int version;
		const char *want;
	} cases[] = {
		{ "UPDATE users SET a = b.x FROM b WHERE users.id = b.id", 15,
		  "users=ROW EXCLUSIVE/full table scan; b=ACCESS SHARE/full table scan" },
		{ "DELETE FROM events WHERE at < now()", 15, "events=ROW EXCLUSIVE/full table scan" },
		{ "INSERT INTO a SELECT * FROM b", 15, "a=ROW EXCLUSIVE/full table scan; b=ACCESS SHARE/full table scan" },
		{ "REINDEX INDEX i", 15, "the index's table=SHARE/index build; index i=ACCESS EXCLUSIVE/index build" },
		{ "REINDEX INDEX CONCURRENTLY i", 15,
		  "the index's table=SHARE UPDATE EXCLUSIVE/index build; index i=SHARE UPDATE EXCLUSIVE/index build" },
		{ "REFRESH MATERIALIZED VIEW mv", 15,
		  "mv=ACCESS EXCLUSIVE/table rewrite; the tables the view reads=ACCESS SHARE/full table scan" },
		{ "REFRESH MATERIALIZED VIEW CONCURRENTLY mv", 15,
		  "mv=EXCLUSIVE/table rewrite; the tables the view reads=ACCESS SHARE/full table scan" },
		{ "VACUUM FULL t", 15, "t=ACCESS EXCLUSIVE/table rewrite" },
		{ "VACUUM t", 15, "t=SHARE UPDATE EXCLUSIVE/full table scan" },
		{ "CLUSTER t USING i", 15, "t=ACCESS EXCLUSIVE/table rewrite" },
		{ "LOCK TABLE t", 15, "t=ACCESS EXCLUSIVE/catalog update only" },
		{ "LOCK TABLE t IN SHARE MODE", 15, "t=SHARE/catalog update only" },
		{ "TRUNCATE t", 15, "t=ACCESS EXCLUSIVE/catalog update only" },
		{ "ALTER TABLE p DETACH PARTITION c", 15, "p=ACCESS EXCLUSIVE/catalog update only; c=ACCESS EXCLUSIVE/catalog update only" },
		{ "ALTER TABLE p DETACH PARTITION c", 13, "p=ACCESS EXCLUSIVE/catalog update only; c=SHARE UPDATE EXCLUSIVE/catalog update only" },
		{ "ALTER TABLE p DETACH PARTITION c CONCURRENTLY", 15,
		  "p=SHARE UPDATE EXCLUSIVE/catalog update only; c=ACCESS EXCLUSIVE/catalog update only" },
		{ "ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)", 15,
		  "p=SHARE UPDATE EXCLUSIVE/full table scan; c=ACCESS EXCLUSIVE/full table scan" },
		{ "ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)", 11,
		  "p=ACCESS EXCLUSIVE/full table scan; c=ACCESS EXCLUSIVE/full table scan" },
		{ "ALTER TABLE o ADD FOREIGN KEY (c) REFERENCES c (id)", 15,
		  "o=SHARE ROW EXCLUSIVE/full table scan; c=SHARE ROW EXCLUSIVE/full table scan" },
		{ "CREATE TABLE c2 PARTITION OF p FOR VALUES IN (2)", 15, "p=ACCESS EXCLUSIVE/catalog update only" },
		{ "CREATE TABLE n (id int REFERENCES u (id))", 15, "u=SHARE ROW EXCLUSIVE/catalog update only" },
		{ "CREATE INDEX ON t (a)", 15, "t=SHARE/index build" },
		{ "CREATE INDEX CONCURRENTLY ON t (a)", 15, "t=SHARE UPDATE EXCLUSIVE/index build" },
		{ "DROP INDEX i", 15, "index i=ACCESS EXCLUSIVE/catalog update only; the index's table=ACCESS EXCLUSIVE/catalog update only" },
		{ "DROP TRIGGER tr ON s.t", 15, "t=ACCESS EXCLUSIVE/catalog update only" },
		{ "ALTER INDEX i RENAME TO j", 15, "index i=SHARE UPDATE EXCLUSIVE/catalog update only" },
		{ "ALTER INDEX i RENAME TO j", 11, "index i=ACCESS EXCLUSIVE/catalog update only" },
		{ "ALTER INDEX pi ATTACH PARTITION ci", 15,
		  "index pi=SHARE UPDATE EXCLUSIVE/catalog update only; index ci=ACCESS EXCLUSIVE/catalog update only; "
		  "the tables of both indexes=ACCESS SHARE/catalog update only" },
		{ "ALTER INDEX pi ATTACH PARTITION ci", 11,
		  "index pi=ACCESS EXCLUSIVE/catalog update only; index ci=ACCESS EXCLUSIVE/catalog update only; "
		  "the tables of both indexes=ACCESS SHARE/catalog update only" },
		{ "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0)", 15,
		  "every table with a column of the domain=SHARE/full table scan" },
		{ "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID", 15, "none" },
		{ "ALTER TABLE o ADD COLUMN c bigint REFERENCES c (id)", 15,
		  "o=ACCESS EXCLUSIVE/catalog update only; c=SHARE ROW EXCLUSIVE/catalog update only" },
		{ "ALTER TABLE o ADD COLUMN c bigint DEFAULT NULL REFERENCES c (id)", 15,
		  "o=ACCESS EXCLUSIVE/full table scan; c=SHARE ROW EXCLUSIVE/full table scan" },
		{ "ALTER TABLE o ADD COLUMN n int CHECK (n > 0)", 15, "o=ACCESS EXCLUSIVE/full table scan" },
		{ "ALTER TABLE o ADD COLUMN n int UNIQUE", 15, "o=ACCESS EXCLUSIVE/index build" },
		{ "COMMENT ON TABLE t IS 'x'", 15, "t=SHARE UPDATE EXCLUSIVE/catalog update only" },
		{ "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()", 15,
		  "t=SHARE ROW EXCLUSIVE/catalog update only" },
		{ "ALTER SEQUENCE s RESTART", 15, "s=SHARE ROW EXCLUSIVE/catalog update only" },
		{ "SELECT * FROM t FOR UPDATE", 15, "t=ROW SHARE/full table scan" },
		{ "WITH c AS (SELECT 1) SELECT * FROM c, t", 15, "t=ACCESS SHARE/full table scan" },
		{ "EXPLAIN UPDATE t SET a = 1", 15, "t=ROW EXCLUSIVE/catalog update only" },
		{ "GRANT SELECT ON t TO r", 15, "none" },
		{ "GRANT SELECT ON t TO r", 18, "t=ACCESS SHARE/catalog update only" },
		{ "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", 15, "none" },
		{ "DROP FUNCTION f()", 15, "none" },
		{ "DO $$BEGIN END$$", 15, "unknown" },
		{ "CALL p()", 15, "unknown" },
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(cases); i++) {
		const char *got = describe(ctx, cases[i].sql, cases[i].version);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "%s (PG %d):\n  got  %s\n  want %s\n", cases[i].sql, cases[i].version, got, cases[i].want);
		assert_string_equal(got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_statement_type_has_an_entry),
		cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
