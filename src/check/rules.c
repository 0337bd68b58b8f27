/*
 * rules.c — the table of check rules: id, category, one-line summary, the `--explain` paragraph
 * and the peer linters' rules it covers. Which statement triggers a rule is decided elsewhere
 * (judge.c from the plan, txn.c and style.c from the statement); this is the one list of names.
 */
#include "mkmig/check.h"

#include <string.h>

static const char *const category_names[] = {
	[MM_CHECK_CAT_LOCK] = "lock",
	[MM_CHECK_CAT_TRANSACTION] = "transaction",
	[MM_CHECK_CAT_CORRECTNESS] = "correctness",
	[MM_CHECK_CAT_STYLE] = "style",
};
_Static_assert(MM_ARRAY_LEN(category_names) == MM_CHECK_CAT__COUNT, "every category has a name");

const char *mm_check_category_name(enum mm_check_category c)
{
	return category_names[c];
}

#define LOCK MM_CHECK_CAT_LOCK
#define TXN MM_CHECK_CAT_TRANSACTION
#define CORRECT MM_CHECK_CAT_CORRECTNESS
#define STYLE MM_CHECK_CAT_STYLE

static const struct mm_check_rule rules[] = {
	/* --- from the plan: the planner had to rewrite the statement ----------------------------- */
	{ "index-blocking-build", LOCK, "CREATE INDEX without CONCURRENTLY blocks writes for the whole build",
	  "CREATE INDEX takes SHARE on the table: reads continue, but every INSERT, UPDATE and DELETE waits "
	  "until the index is built, which on a large table is minutes to hours. mkmig first drops an INVALID "
	  "leftover of an interrupted earlier build, then runs CREATE INDEX CONCURRENTLY outside any "
	  "transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue). On a partitioned table it "
	  "creates the index ON ONLY the parent, builds each partition's index concurrently and attaches them, "
	  "because PostgreSQL rejects CONCURRENTLY on a partitioned table. A table created earlier in the same "
	  "migrations is not flagged: nobody uses it yet.",
	  "squawk require-concurrent-index-creation; strong_migrations add_index" },
	{ "index-blocking-drop", LOCK, "DROP INDEX without CONCURRENTLY blocks reads and writes of the table",
	  "DROP INDEX takes ACCESS EXCLUSIVE on the index's table; while it waits behind a long query every "
	  "later query queues behind it. DROP INDEX CONCURRENTLY waits for running transactions without "
	  "blocking them. It cannot run in a transaction block and has no CASCADE form.",
	  "squawk require-concurrent-index-deletion; strong_migrations remove_index" },
	{ "constraint-validation-scan", LOCK, "adding a FOREIGN KEY or CHECK validates every row while writes are blocked",
	  "ADD CONSTRAINT ... FOREIGN KEY (SHARE ROW EXCLUSIVE on both tables) or CHECK (ACCESS EXCLUSIVE) scans "
	  "the whole table before it returns, holding the lock throughout. Added NOT VALID the constraint is "
	  "a catalog update that applies to new rows at once; VALIDATE CONSTRAINT in a later transaction then "
	  "checks the old rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes continue. An inline "
	  "CHECK on ADD COLUMN is validated the same way (though the new column is all NULL), and so is an "
	  "inline REFERENCES once the new column has a DEFAULT (even DEFAULT NULL); without one it is created "
	  "valid without a scan, but still takes SHARE ROW EXCLUSIVE on the referenced table. Before "
	  "PostgreSQL 18 a foreign key on a partitioned table cannot be NOT VALID: mkmig says so and has no "
	  "online form for it.",
	  "squawk adding-foreign-key-constraint, constraint-missing-not-valid; strong_migrations add_foreign_key, add_check_constraint" },
	{ "unique-index-build", LOCK, "ADD PRIMARY KEY / UNIQUE builds its index under ACCESS EXCLUSIVE",
	  "ADD CONSTRAINT ... PRIMARY KEY or UNIQUE without USING INDEX builds the index while reads and writes "
	  "are blocked (and PRIMARY KEY scans for NULLs). mkmig builds the unique index CONCURRENTLY, then "
	  "adopts it with ADD CONSTRAINT ... USING INDEX, a catalog update.",
	  "squawk disallowed-unique-constraint, adding-serial-primary-key-field, adding-primary-key-constraint; strong_migrations add_index (unique)" },
	{ "exclusion-constraint", LOCK, "an EXCLUDE constraint builds its index under ACCESS EXCLUSIVE",
	  "EXCLUDE constraints have no USING INDEX or concurrent form: the index is built while the table is "
	  "locked against reads and writes. Add it while the table is small, or in a maintenance window.",
	  NULL },
	{ "not-null-scan", LOCK, "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
	  "ALTER COLUMN ... SET NOT NULL checks every row while reads and writes are blocked. From PostgreSQL "
	  "12 a valid CHECK (col IS NOT NULL) lets it skip the scan: mkmig adds that CHECK NOT VALID, "
	  "validates it under SHARE UPDATE EXCLUSIVE, sets NOT NULL and drops the helper. A SET NOT NULL after "
	  "such a validated CHECK is not flagged.",
	  "squawk adding-not-nullable-field; strong_migrations change_column_null" },
	{ "add-column-rewrite", LOCK, "ADD COLUMN with a volatile default rewrites the table under ACCESS EXCLUSIVE",
	  "A volatile default (random(), clock_timestamp(), gen_random_uuid(), nextval of a serial), a stored "
	  "generated column, or any default before PostgreSQL 11 makes ADD COLUMN rewrite the table while it "
	  "is locked against reads and writes. mkmig adds the column without the default, sets the default for "
	  "new rows, backfills old rows in committed batches and adds NOT NULL through a validated CHECK. "
	  "A constant default on 11+ is a catalog update and is not flagged.",
	  "squawk adding-field-with-default; strong_migrations add_column_default, add_column_generated_stored" },
	{ "type-change-rewrite", LOCK, "ALTER COLUMN TYPE rewrites the table (and its indexes) under ACCESS EXCLUSIVE",
	  "Most type changes rewrite the table and rebuild every index while reads and writes are blocked. "
	  "The changes PostgreSQL makes without a rewrite (varchar(n) to a longer n or to text, numeric "
	  "precision increases, ...) are not flagged. For the others mkmig emits an expand/contract change: "
	  "a new column kept in sync by a trigger, a batched backfill, then the swap.",
	  "squawk changing-column-type; strong_migrations change_column" },
	{ "rename-column", LOCK, "RENAME COLUMN breaks the application version that is running",
	  "The rename itself is a catalog update, but every running application instance still uses the old "
	  "name and fails from that moment. mkmig emits an expand/contract change: a new column kept in sync "
	  "both ways by a trigger, a checkpoint where the application is deployed, then the old column goes.",
	  "squawk renaming-column; strong_migrations rename_column" },
	{ "rename-table", LOCK, "RENAME TABLE breaks the application version that is running",
	  "Running application instances still query the old name. mkmig renames the table and leaves a "
	  "compatibility view under the old name until the application is deployed.",
	  "squawk renaming-table; strong_migrations rename_table" },
	{ "drop-column", LOCK, "DROP COLUMN breaks the running application and loses data",
	  "An application that still reads or writes the column fails at once, and the data cannot come back. "
	  "mkmig holds the drop for the contract phase, after the application stopped using the column.",
	  "squawk ban-drop-column; strong_migrations remove_column" },
	{ "drop-table", LOCK, "DROP TABLE breaks the running application and loses data",
	  "Dropping a table the application still uses is an outage and cannot be undone. mkmig holds the drop "
	  "for the contract phase. A table created earlier in the same migrations, also inside a DO block "
	  "(mkmig's own work tables), is not flagged.",
	  "squawk ban-drop-table" },
	{ "enum-value-in-transaction", TXN, "ALTER TYPE ... ADD VALUE cannot run in a transaction before PostgreSQL 12",
	  "Before PostgreSQL 12 ALTER TYPE ... ADD VALUE fails inside a transaction block (an explicit BEGIN or "
	  "the migration tool's own transaction, see concurrently-in-transaction); mkmig runs it on its own, "
	  "outside one. From 12 it may run in a transaction, but the new value is usable only after commit.",
	  NULL },
	{ "unbatched-dml", LOCK, "UPDATE, DELETE or INSERT ... SELECT of many rows in one statement",
	  "One UPDATE or DELETE of every row holds the row locks of all of them until it commits (blocking "
	  "concurrent writes of those rows), keeps one snapshot open for the whole table (VACUUM cannot clean "
	  "up behind it) and, inside a migration's transaction, keeps the migration's other locks that long. "
	  "Do it in batches that commit one by one, keyed on the primary key (mkmig's backfills do). A "
	  "statement whose WHERE pins the primary key or a unique index by equality (WHERE id = 42) changes one "
	  "row at most and is not flagged. An INSERT ... SELECT of many rows is the same: mkmig batches one "
	  "that reads exactly one table, and says so where it cannot.",
	  "strong_migrations backfill in transaction" },
	{ "blocking-rewrite", LOCK, "a statement that rewrites the table while reads and writes are blocked",
	  "CLUSTER, VACUUM FULL, ALTER TABLE SET TABLESPACE / SET LOGGED / SET ACCESS METHOD and REFRESH "
	  "MATERIALIZED VIEW without CONCURRENTLY rewrite the whole relation under ACCESS EXCLUSIVE. They have "
	  "no online form in PostgreSQL itself; use pg_repack or REFRESH ... CONCURRENTLY (with a unique index), "
	  "or run them in a maintenance window.",
	  "squawk prefer-repack" },
	{ "reindex-blocking", LOCK, "REINDEX without CONCURRENTLY blocks writes (and reads that use the index)",
	  "REINDEX rebuilds the index under SHARE on the table and ACCESS EXCLUSIVE on the index. From "
	  "PostgreSQL 12 REINDEX ... CONCURRENTLY builds a new copy and swaps it in while reads and writes "
	  "continue; it cannot run in a transaction block.",
	  "squawk require-concurrent-reindex" },
	{ "blocking-scan", LOCK, "a statement that scans the table while writes are blocked",
	  "The statement reads the whole table while it holds a lock that blocks writes (or reads), so its "
	  "duration is the table's size, not a catalog update. ATTACH PARTITION scans the partition under "
	  "ACCESS EXCLUSIVE unless a validated CHECK on it implies the bound (on a nullable key column a RANGE "
	  "bound needs IS NOT NULL in the CHECK too): mkmig adds such a CHECK NOT VALID, validates it without "
	  "blocking traffic, and then attaches without the scan; an ATTACH after such a CHECK is not flagged.",
	  NULL },
	{ "blocking-statement", LOCK, "the planner emits a safer form of this statement",
	  "mkmig's planner does not run this statement as written: the fix shows the steps it emits and the "
	  "locks they take.",
	  NULL },
	{ "missing-lock-timeout", LOCK, "a blocking lock is requested without lock_timeout",
	  "Even a catalog-only statement that needs ACCESS EXCLUSIVE (or SHARE and stronger) waits behind any "
	  "running query on the table, and every later query waits behind it: a 30-second report query turns "
	  "an instant ALTER into a 30-second outage. Set lock_timeout first (SET lock_timeout = '2s', or SET "
	  "LOCAL inside a transaction) and retry on failure; mkmig's output does both. Statements on tables "
	  "created earlier in the same migrations are not flagged.",
	  "squawk require-timeout-settings; strong_migrations lock_timeout" },
	/* --- transactions and the runner ------------------------------------------------------------ */
	{ "concurrently-in-transaction", TXN, "a statement that cannot run in a transaction block runs in one",
	  "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY and VACUUM fail "
	  "inside a transaction block, and so does ADD VALUE before PostgreSQL 12. The block may be an explicit "
	  "BEGIN, or the one the migration tool opens: Flyway runs a file in a transaction unless its .sql.conf "
	  "says executeInTransaction=false (it detects CREATE/DROP INDEX CONCURRENTLY alone in a file, but "
	  "not mixed with other statements, nor REINDEX or DETACH ... CONCURRENTLY); golang-migrate and dbmate "
	  "send a file as one string, so two statements are one implicit transaction; diesel runs a migration "
	  "in a transaction unless metadata.toml says run_in_transaction = false; dbmate unless the up line "
	  "says transaction:false.",
	  "squawk ban-concurrent-index-creation-in-transaction" },
	{ "transaction-nesting", TXN, "BEGIN inside a transaction",
	  "A BEGIN inside an open transaction only warns and does nothing, and the COMMIT that follows commits "
	  "the migration tool's transaction early, so its bookkeeping no longer matches. Flyway and diesel "
	  "already run each file in a transaction.",
	  "squawk transaction-nesting" },
	{ "uncommitted-transaction", TXN, "BEGIN without a COMMIT in the same file",
	  "A transaction left open at the end of a file holds its locks until the connection ends (or the "
	  "runner's later statements run inside it).",
	  "squawk ban-uncommitted-transaction" },
	{ "validate-in-same-transaction", TXN, "VALIDATE CONSTRAINT in the transaction that added it NOT VALID",
	  "NOT VALID then VALIDATE is safe only when they run in separate transactions: in the same one, the "
	  "strong lock of ADD CONSTRAINT (SHARE ROW EXCLUSIVE or ACCESS EXCLUSIVE) is still held while VALIDATE "
	  "scans the table. Commit between them (or put VALIDATE in the next migration).",
	  "strong_migrations add_foreign_key (validate in separate migration)" },
	/* --- correctness ------------------------------------------------------------------------------ */
	{ "concurrent-index-partitioned", CORRECT, "CREATE INDEX CONCURRENTLY on a partitioned table fails",
	  "PostgreSQL rejects CONCURRENTLY on a partitioned table (\"cannot create index on partitioned table "
	  "concurrently\"). Create the index ON ONLY the parent (instant, INVALID), build each partition's index "
	  "CONCURRENTLY and ATTACH PARTITION it to the parent index; mkmig emits exactly that.",
	  NULL },
	{ "concurrent-index-if-not-exists", CORRECT, "CREATE INDEX CONCURRENTLY IF NOT EXISTS can keep an INVALID index",
	  "When a CONCURRENTLY build is interrupted (lock timeout, deadlock, a duplicate in a unique index) it "
	  "leaves an INVALID index behind that PostgreSQL keeps maintaining but never uses. IF NOT EXISTS then "
	  "makes the re-run a silent no-op, so the index stays INVALID forever. Drop an INVALID leftover first "
	  "(mkmig emits a guarded DROP INDEX for it); IF NOT EXISTS alone is not robust.",
	  "squawk prefer-robust-stmts (recommends it)" },
	{ "required-column-without-default", CORRECT, "ADD COLUMN ... NOT NULL without a default fails on a table with rows",
	  "A new NOT NULL column without a DEFAULT cannot be added to a table that has rows. Add it with a "
	  "constant default (a catalog update on 11+), or nullable, backfill, then SET NOT NULL.",
	  "squawk adding-required-field" },
	/* --- style: choices that cost an outage later -------------------------------------------------- */
	{ "prefer-bigint", STYLE, "integer and smallint keys run out",
	  "An int4 id or counter overflows at 2^31, and changing its type later is a table rewrite. Use "
	  "bigint (8 bytes) from the start.",
	  "squawk prefer-bigint-over-int, prefer-bigint-over-smallint" },
	{ "prefer-identity", STYLE, "serial types instead of identity columns",
	  "serial creates a sequence owned by the column with loose permissions and dump semantics; "
	  "GENERATED ... AS IDENTITY is the standard form.",
	  "squawk prefer-identity" },
	{ "prefer-text", STYLE, "varchar(n): changing the limit later can lock the table",
	  "Lowering the limit of varchar(n) rewrites the table; a CHECK (length(col) <= n) added NOT VALID can "
	  "be changed online. Prefer text with a CHECK.",
	  "squawk prefer-text-field" },
	{ "prefer-timestamptz", STYLE, "timestamp without time zone",
	  "timestamp without time zone stores local times without a zone; converting later rewrites the table. "
	  "Use timestamptz.",
	  "squawk prefer-timestamptz" },
	{ "prefer-jsonb", STYLE, "json has no equality operator",
	  "The json type has no equality operator, so SELECT DISTINCT, UNION and GROUP BY over a json column "
	  "fail; converting later rewrites the table. Use jsonb.",
	  "strong_migrations add_column_json" },
	{ "ban-char", STYLE, "char(n) pads with spaces",
	  "char(n) pads with blanks and compares surprisingly; use text or varchar.",
	  "squawk ban-char-field" },
	{ "drop-not-null", STYLE, "DROP NOT NULL lets NULLs into a column the application may assume is filled",
	  "Dropping NOT NULL is instant, but the application version still running may not handle NULLs, and "
	  "setting NOT NULL again later needs a scan.",
	  "squawk ban-drop-not-null" },
	{ "truncate-cascade", STYLE, "TRUNCATE ... CASCADE empties every referencing table too",
	  "CASCADE truncates every table with a foreign key to this one, recursively, under ACCESS EXCLUSIVE.",
	  "squawk ban-truncate-cascade" },
	{ "drop-database", STYLE, "DROP DATABASE in a migration", "A migration should never drop a database.",
	  "squawk ban-drop-database" },
	{ "domain-check-constraint", STYLE, "a CHECK on a domain is validated against every column of that type",
	  "CREATE DOMAIN ... CHECK and ALTER DOMAIN ... ADD CONSTRAINT validate every column that uses the domain "
	  "while those tables are locked; ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID then VALIDATE does not.",
	  "squawk ban-create-domain-with-constraint, ban-alter-domain-with-add-constraint" },
	{ "identifier-too-long", STYLE, "an identifier longer than 63 bytes is silently truncated",
	  "PostgreSQL cuts identifiers at 63 bytes with only a NOTICE, so two long names can collide and "
	  "later migrations that spell the full name fail.",
	  "squawk identifier-too-long" },
};

size_t mm_check_rule_count(void)
{
	return MM_ARRAY_LEN(rules);
}

const struct mm_check_rule *mm_check_rule_at(size_t i)
{
	return i < MM_ARRAY_LEN(rules) ? &rules[i] : NULL;
}

const struct mm_check_rule *mm_check_rule_find(const char *id)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(rules); i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

void mm_check_explain(const struct mm_check_rule *r, struct mm_buf *out)
{
	mm_buf_addf(out, "%s (%s): %s\n\n", r->id, mm_check_category_name(r->category), r->summary);
	/* Wrap the paragraph at 100 columns for a terminal. */
	const char *p = r->explain;
	while (*p) {
		size_t n = strlen(p);
		if (n > 100) {
			n = 100;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = 100;
		}
		mm_buf_add(out, p, n);
		mm_buf_addch(out, '\n');
		p += n;
		while (*p == ' ')
			p++;
	}
	if (r->peers)
		mm_buf_addf(out, "\ncovers: %s\n", r->peers);
	mm_buf_addf(out, "disable: --exclude %s, or '-- mkmig:ignore %s' on the line before the statement\n", r->id, r->id);
}
