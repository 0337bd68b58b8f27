/* test_model_dir.c — migrations directories: layout detection and each tool's replay order.
 * Every fixture is built so that replaying in the wrong order leaves a different model (a later
 * script alters what an earlier one created), and files the tool ignores would break the model
 * if they were replayed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/model.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	struct mm_ctx ctx;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = mm_xcalloc(1, sizeof(*f));
	mm_ctx_init(&f->ctx);
	strcpy(f->dir, "/tmp/mkmig-test-dir-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = mm_xmalloc(strlen(path) + strlen(e->d_name) + 2);
			sprintf(sub, "%s/%s", path, e->d_name);
			remove_tree(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	remove_tree(f->dir);
	mm_ctx_release(&f->ctx);
	free(f);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mm_sql_shutdown();
	return 0;
}

/* Write dir/rel (creating subdirectories) with text. */
static void put(struct fixture *f, const char *rel, const char *text)
{
	char *path = mm_sprintf(&f->ctx.arena, "%s/%s", f->dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(mm_mkdir_p(path), 0);
	*slash = '/';
	assert_int_equal(mm_write_file_atomic(path, text, strlen(text), false), 0);
}

static char *diags_text(struct mm_ctx *ctx)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < ctx->diags.items.len; i++)
		mm_diag_render(&b, mm_vec_at(&ctx->diags.items, i), false);
	char *s = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return s;
}

/* Load and require success, printing the diagnostics when it fails. */
static struct mm_model *load_ok(struct fixture *f)
{
	struct mm_model *m = mm_model_new(&f->ctx);
	int rc = mm_model_load_dir(m, f->dir);
	if (rc != 0 || f->ctx.diags.nerrors)
		print_error("%s", diags_text(&f->ctx));
	assert_int_equal(rc, 0);
	assert_int_equal(f->ctx.diags.nerrors, 0);
	assert_true(m->known);
	return m;
}

static struct mm_table *table(struct mm_model *m, const char *name)
{
	struct mm_table *t = mm_model_find_table(m, "public", name);
	if (!t)
		print_error("table %s missing\n", name);
	assert_non_null(t);
	return t;
}

static void assert_column_at(struct mm_model *m, const char *tname, const char *col, int attnum)
{
	struct mm_column *c = mm_table_find_column(table(m, tname), col);
	if (!c)
		print_error("column %s.%s missing\n", tname, col);
	assert_non_null(c);
	assert_int_equal(c->attnum, attnum);
}

static void load_fails_with(struct fixture *f, const char *dir, const char *const *needles)
{
	struct mm_model *m = mm_model_new(&f->ctx);
	assert_int_equal(mm_model_load_dir(m, dir), -1);
	assert_true(f->ctx.diags.nerrors > 0);
	char *text = diags_text(&f->ctx);
	for (; *needles; needles++)
		if (!strstr(text, *needles)) {
			print_error("expected \"%s\" in:\n%s", *needles, text);
			fail();
		}
}

static void test_flyway(void **state)
{
	struct fixture *f = *state;
	put(f, "V1__first.sql", "CREATE TABLE t1 (id int);\n");
	put(f, "V1.9__second.sql", "CREATE TABLE t2 (id int, a int);\n");
	/* 1.10 > 1.9 although "1.10" < "1.9" as text */
	put(f, "V1.10__third.sql", "ALTER TABLE t2 ADD COLUMN b int;\nCREATE TABLE t3 (id int);\n");
	/* Flyway scans subdirectories; '_' separates version parts like '.' */
	put(f, "sub/deeper/V2_1__fourth.sql", "ALTER TABLE t3 ADD COLUMN c int;\nCREATE TABLE t4 (id int);\n");
	put(f, "V10__fifth.sql", "ALTER TABLE t4 ADD COLUMN d int;\nCREATE TABLE t5 (id int);\n");
	/* repeatables run after every versioned file, by description */
	put(f, "R__b_drop.sql", "ALTER TABLE t5 DROP COLUMN r;\nALTER TABLE t5 ADD COLUMN s int;\n");
	put(f, "R__a_add.sql", "ALTER TABLE t5 ADD COLUMN r int;\n");
	/* ignored: undo, callbacks, per-script config, other files */
	put(f, "U10__fifth.sql", "DROP TABLE t5;\n");
	put(f, "beforeMigrate.sql", "DROP TABLE t1;\n");
	put(f, "V10__fifth.sql.conf", "executeInTransaction=false\n");
	put(f, "README.md", "notes\n");

	struct mm_model *m = load_ok(f);
	assert_non_null(table(m, "t1"));
	assert_column_at(m, "t2", "b", 3);
	assert_column_at(m, "t3", "c", 2);
	assert_column_at(m, "t4", "d", 2);
	assert_column_at(m, "t5", "s", 2);
	assert_null(mm_table_find_column(table(m, "t5"), "r"));
}

static void test_golang_migrate(void **state)
{
	struct fixture *f = *state;
	put(f, "000001_first.up.sql", "CREATE TABLE t1 (id int);\n");
	put(f, "000001_first.down.sql", "DROP TABLE t1;\n");
	put(f, "2_second.up.sql", "CREATE TABLE t2 (id int);\n");
	put(f, "2_second.down.sql", "DROP TABLE t2;\n");
	/* 10 > 2 numerically, though "10_" sorts before "2_" */
	put(f, "10_.up.sql", "ALTER TABLE t2 ADD COLUMN x int;\nCREATE TABLE t3 (id int);\n");
	put(f, "10_.down.sql", "DROP TABLE t3;\n");

	struct mm_model *m = load_ok(f);
	assert_non_null(table(m, "t1"));
	assert_column_at(m, "t2", "x", 2);
	assert_non_null(table(m, "t3"));
}

static void test_dbmate(void **state)
{
	struct fixture *f = *state;
	put(f, "20200101000000_first.sql",
	    "-- a comment before the directive\n-- migrate:up\nCREATE TABLE t1 (id int);\n\n"
	    "-- migrate:down\nDROP TABLE t1;\n");
	put(f, "20200102000000_second.sql",
	    "--migrate:up transaction:false\nALTER TABLE t1 ADD COLUMN x int;\nCREATE TABLE t2 (id int);\n"
	    "-- migrate:down transaction:false\nDROP TABLE t2;\nALTER TABLE t1 DROP COLUMN x;\n");
	/* a down section between two up sections is skipped too */
	put(f, "20200103000000_third.sql",
	    "-- migrate:up\nCREATE TABLE t3 (id int);\n-- migrate:down\nDROP TABLE t3;\n"
	    "-- migrate:up\nALTER TABLE t3 ADD COLUMN y int;\n-- migrate:down\n");

	struct mm_model *m = load_ok(f);
	assert_column_at(m, "t1", "x", 2);
	assert_non_null(table(m, "t2"));
	assert_column_at(m, "t3", "y", 2);
}

static void test_dbmate_error_line(void **state)
{
	struct fixture *f = *state;
	put(f, "1_first.sql", "-- header\n-- migrate:up\nCREATE TABLE t1 (id int;\n-- migrate:down\nDROP TABLE t1;\n");
	struct mm_model *m = mm_model_new(&f->ctx);
	assert_int_equal(mm_model_load_dir(m, f->dir), -1);
	char *text = diags_text(&f->ctx);
	if (!strstr(text, "1_first.sql:3:"))
		print_error("%s", text);
	assert_non_null(strstr(text, "1_first.sql:3:"));
}

static const char plan[] =
	"%syntax-version=1.0.0\n"
	"%project=shop\n"
	"\n"
	"t1 2020-01-01T00:00:00Z Dana <dana@example.com> # create t1\n"
	"t2 [t1] 2020-01-01T00:00:01Z Dana <dana@example.com>\n"
	"@v1.0 2020-01-01T00:00:02Z Dana <dana@example.com> # first release\n"
	"@v1.1 2020-01-01T00:00:03Z Dana <dana@example.com>\n"
	"schema/t3 [t2] 2020-01-02T00:00:00Z Dana <dana@example.com>\n"
	"t1 [t1@v1.0] 2020-01-03T00:00:00Z Dana <dana@example.com> # rework t1\n";

static void test_sqitch(void **state)
{
	struct fixture *f = *state;
	put(f, "sqitch.plan", plan);
	put(f, "sqitch.conf", "[core]\n\tengine = pg\n");
	/* the first instance of a reworked change: deploy/<name>@<first tag after it>.sql */
	put(f, "deploy/t1@v1.0.sql", "BEGIN;\nCREATE TABLE t1 (id int);\nCOMMIT;\n");
	put(f, "deploy/t2.sql", "CREATE TABLE t2 (id int);\n");
	put(f, "deploy/schema/t3.sql", "ALTER TABLE t2 ADD COLUMN z int;\nCREATE TABLE t3 (id int);\n");
	put(f, "deploy/t1.sql", "ALTER TABLE t1 ADD COLUMN reworked int;\n");
	put(f, "revert/t1.sql", "DROP TABLE t1;\n");
	put(f, "verify/t1.sql", "SELECT 1;\n");

	struct mm_model *m = load_ok(f);
	assert_column_at(m, "t1", "reworked", 2);
	assert_column_at(m, "t2", "z", 2);
	assert_non_null(table(m, "t3"));
}

static void test_sqitch_missing_script(void **state)
{
	struct fixture *f = *state;
	put(f, "sqitch.plan", plan);
	put(f, "deploy/t1@v1.0.sql", "CREATE TABLE t1 (id int);\n");
	const char *const needles[] = { "sqitch.plan:5:1: error", "deploy/t2.sql", NULL };
	load_fails_with(f, f->dir, needles);
}

static void test_diesel(void **state)
{
	struct fixture *f = *state;
	put(f, "00000000000000_diesel_initial_setup/up.sql", "CREATE TABLE t1 (id int);\n");
	put(f, "00000000000000_diesel_initial_setup/down.sql", "DROP TABLE t1;\n");
	put(f, "2019-02-26-002946_create_t2/up.sql", "ALTER TABLE t1 ADD COLUMN a int;\nCREATE TABLE t2 (id int);\n");
	put(f, "2019-02-26-002946_create_t2/down.sql", "DROP TABLE t2;\n");
	put(f, "2019-03-01-000000_alter_t2/up.sql", "ALTER TABLE t2 ADD COLUMN b int;\n");
	put(f, "2019-03-01-000000_alter_t2/down.sql", "ALTER TABLE t2 DROP COLUMN b;\n");
	put(f, ".keep", "");

	struct mm_model *m = load_ok(f);
	assert_column_at(m, "t1", "a", 2);
	assert_column_at(m, "t2", "b", 2);
}

/* goose: by version (9 before 10), only Up sections, annotations in any case, StatementBegin/End
 * bodies, NO TRANSACTION; Go migrations are not read. */
static void test_goose(void **state)
{
	struct fixture *f = *state;
	put(f, "00001_first.sql",
	    "-- a comment before Up\n-- +goose Up\nCREATE TABLE t1 (id int);\n\n-- +goose Down\nDROP TABLE t1;\n");
	put(f, "10_third.sql",
	    "-- +goose NO TRANSACTION\n-- +goose up\nCREATE INDEX CONCURRENTLY t2_x_idx ON t2 (x);\n"
	    "-- +goose down\nDROP INDEX CONCURRENTLY t2_x_idx;\nDROP TABLE t1;\n");
	put(f, "9_second.sql",
	    "-- +goose Up\n-- +goose StatementBegin\nDO $$ BEGIN PERFORM 1; END $$;\n-- +goose StatementEnd\n"
	    "ALTER TABLE t1 ADD COLUMN a int;\nCREATE TABLE t2 (id int, x int);\n"
	    "-- +goose Down\n-- +goose StatementBegin\nDROP TABLE t2;\n-- +goose StatementEnd\n");
	put(f, "00004_code.go", "package migrations\n");

	struct mm_model *m = load_ok(f);
	assert_column_at(m, "t1", "a", 2);
	assert_column_at(m, "t2", "x", 2);
	assert_non_null(mm_model_find_index(m, "public", "t2_x_idx"));
}

/* goose refuses a *.sql file without a version, and two files with one version. */
static void test_goose_bad_names(void **state)
{
	struct fixture *f = *state;
	put(f, "1_a.sql", "-- +goose Up\nCREATE TABLE t1 (id int);\n");
	put(f, "notes.sql", "SELECT 1;\n");
	const char *const needles[] = { "notes.sql", "goose refuses", NULL };
	load_fails_with(f, f->dir, needles);
	remove_tree(mm_sprintf(&f->ctx.arena, "%s/notes.sql", f->dir));
	put(f, "001_b.sql", "-- +goose Up\nCREATE TABLE t2 (id int);\n");
	const char *const dup[] = { "more than one goose migration with version 1", "1_a.sql", "001_b.sql", NULL };
	load_fails_with(f, f->dir, dup);
}

/* An error in the Up section keeps its line in the file (the Down text is blanked, not cut). */
static void test_goose_error_line(void **state)
{
	struct fixture *f = *state;
	put(f, "1_a.sql", "-- +goose Down\nDROP TABLE t1;\n-- +goose Up\nCREATE TABLE t1 (id int;\n");
	const char *const needles[] = { "1_a.sql:4:", NULL };
	load_fails_with(f, f->dir, needles);
}

/* Liquibase: the master's include order (not the file names'), includeAll sorted, a nested
 * XML changelog, changesets only (not the --rollback lines), another dbms's changeset skipped. */
static void test_liquibase(void **state)
{
	struct fixture *f = *state;
	put(f, "db.changelog-master.yaml",
	    "databaseChangeLog:\n  - include:\n      file: changes/b_first.sql\n      relativeToChangelogFile: true\n"
	    "  - include: {file: \"changes/a_second.sql\", relativeToChangelogFile: true}\n"
	    "  - includeAll:\n      path: more/\n      relativeToChangelogFile: true\n"
	    "  - include:\n      file: nested.xml\n");
	put(f, "changes/b_first.sql",
	    "--liquibase formatted sql\n\n--changeset dana:1\nCREATE TABLE t1 (id int);\n--rollback DROP TABLE t1;\n");
	put(f, "changes/a_second.sql",
	    "-- liquibase formatted sql\n--changeset dana:2 runInTransaction:false\nALTER TABLE t1 ADD COLUMN a int;\n"
	    "--rollback ALTER TABLE t1 DROP COLUMN a;\n"
	    "--changeset dana:3 dbms:mysql\nALTER TABLE t1 ADD COLUMN mysql_only int;\n"
	    "--changeset dana:4 dbms:postgresql,h2\nCREATE TABLE t2 (id int);\n");
	put(f, "more/2_y.sql", "--liquibase formatted sql\n--changeset dana:6\nALTER TABLE t2 ADD COLUMN y int;\n");
	put(f, "more/1_x.sql", "--liquibase formatted sql\n--changeset dana:5\nALTER TABLE t2 ADD COLUMN x int;\n");
	put(f, "nested.xml",
	    "<?xml version=\"1.0\"?>\n<databaseChangeLog>\n    <include file=\"changes/c_third.sql\" relativeToChangelogFile=\"true\"/>\n"
	    "</databaseChangeLog>\n");
	put(f, "changes/c_third.sql", "--liquibase formatted sql\n--changeset dana:7\nALTER TABLE t1 DROP COLUMN a;\nCREATE TABLE t3 (id int);\n");

	struct mm_model *m = load_ok(f);
	assert_null(mm_table_find_column(table(m, "t1"), "a"));
	assert_null(mm_table_find_column(table(m, "t1"), "mysql_only"));
	assert_column_at(m, "t2", "x", 2);
	assert_column_at(m, "t2", "y", 3);
	assert_non_null(table(m, "t3"));
}

static void test_liquibase_missing_include(void **state)
{
	struct fixture *f = *state;
	put(f, "db.changelog-master.xml",
	    "<databaseChangeLog>\n  <include file=\"changes/nope.sql\" relativeToChangelogFile=\"true\"/>\n</databaseChangeLog>\n");
	const char *const needles[] = { "db.changelog-master.xml:2:", "changes/nope.sql", "not found", NULL };
	load_fails_with(f, f->dir, needles);
}

/* plain: up/ by number (10 after 9), down/ never replayed. */
static void test_plain(void **state)
{
	struct fixture *f = *state;
	put(f, "up/0001_first.sql", "CREATE TABLE t1 (id int);\n");
	put(f, "up/10_third.sql", "ALTER TABLE t2 ADD COLUMN b int;\n");
	put(f, "up/0009_second.sql", "ALTER TABLE t1 ADD COLUMN a int;\nCREATE TABLE t2 (id int);\n");
	put(f, "down/0001_first.sql", "DROP TABLE t1;\n");
	put(f, "up/README.md", "notes\n");

	struct mm_model *m = load_ok(f);
	assert_column_at(m, "t1", "a", 2);
	assert_column_at(m, "t2", "b", 2);
}

static void test_empty_dir(void **state)
{
	struct fixture *f = *state;
	put(f, "README.md", "no migrations yet\n");
	const char *const needles[] = { "cannot tell which migration tool", f->dir, "hint:", "V<version>__", NULL };
	load_fails_with(f, f->dir, needles);
}

static void test_mixed_layout(void **state)
{
	struct fixture *f = *state;
	put(f, "V1__a.sql", "CREATE TABLE t1 (id int);\n");
	put(f, "2_b.up.sql", "CREATE TABLE t2 (id int);\n");
	const char *const needles[] = { "Flyway", "golang-migrate", "V1__a.sql", "2_b.up.sql", NULL };
	load_fails_with(f, f->dir, needles);
}

static void test_duplicate_flyway_version(void **state)
{
	struct fixture *f = *state;
	put(f, "V1__a.sql", "CREATE TABLE t1 (id int);\n");
	put(f, "x/V1.0__b.sql", "CREATE TABLE t2 (id int);\n");
	const char *const needles[] = { "more than one", "V1__a.sql", "V1.0__b.sql", NULL };
	load_fails_with(f, f->dir, needles);
}

static void test_not_a_directory(void **state)
{
	struct fixture *f = *state;
	put(f, "V1__a.sql", "CREATE TABLE t1 (id int);\n");
	char *file = mm_sprintf(&f->ctx.arena, "%s/V1__a.sql", f->dir);
	const char *const needles[] = { file, "not a directory", NULL };
	load_fails_with(f, file, needles);
	char *missing = mm_sprintf(&f->ctx.arena, "%s/nope", f->dir);
	const char *const needles2[] = { missing, NULL };
	load_fails_with(f, missing, needles2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flyway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_golang_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dbmate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dbmate_error_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sqitch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sqitch_missing_script, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diesel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goose_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goose_error_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_liquibase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_liquibase_missing_include, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_flyway_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_directory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
