/*
 * fuzz_common.c — the shared half of the fuzz targets (see fuzz_common.h).
 */
#define _XOPEN_SOURCE 700
#include "fuzz_common.h"
#include "mkmig/change.h"
#include "mkmig/emit.h"
#include "mkmig/model.h"
#include "mkmig/plan.h"
#include "mkmig/spec.h"
#include "mkmig/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libFuzzer runs one input at a time in one process: the scratch path is the harness's only
 * state, set once. */
static char fz_scratch_dir[4096];

const char *fz_scratch(void)
{
	if (!fz_scratch_dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(fz_scratch_dir, sizeof(fz_scratch_dir), "%s/mkmig-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(fz_scratch_dir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return fz_scratch_dir;
}

bool fz_write_try(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return false;
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return false;
		}
		p += n, len -= (size_t)n;
	}
	close(fd);
	return true;
}

void fz_write(const char *path, const void *data, size_t len)
{
	if (!fz_write_try(path, data, len)) {
		perror(path);
		abort();
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void fz_rmtree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void fz_result_release(struct fz_result *r)
{
	mm_buf_release(&r->up);
	mm_buf_release(&r->down);
	mm_buf_release(&r->plan);
	mm_buf_release(&r->diags);
}

static int compile_once(struct mm_ctx *ctx, const char *schema_path, const char *dir,
                        const char *input_path, bool spec_input, struct mm_spec **spec, struct mm_plan *plan)
{
	struct mm_model *m = mm_model_new(ctx);
	int rc = 0;
	if (schema_path && mm_model_load_file(m, schema_path) != 0)
		rc = -1;
	if (dir && mm_model_load_dir(m, dir) != 0)
		rc = -1;
	if (rc != 0)
		return -1;
	if (!input_path)
		return 0;
	struct mm_source *src = mm_sql_read(ctx, input_path);
	if (!src)
		return -1;
	struct mm_change_list changes = { 0 };
	if (spec_input) {
		*spec = mm_spec_new(ctx);
		if (mm_spec_parse(ctx, *spec, src, &changes) != 0)
			return -1;
	} else {
		struct mm_stmt_list stmts = { 0 };
		if (mm_sql_parse(ctx, src, &stmts) != 0)
			return -1;
		mm_changes_from_stmts(ctx, &stmts, &changes);
	}
	return mm_plan_build(ctx, m, &changes, plan);
}

void fz_compile(const char *schema_path, const char *dir, const char *input_path, int pg_version,
                struct fz_result *out)
{
	fz_compile_spec(schema_path, dir, input_path, pg_version, false, out);
}

void fz_compile_spec(const char *schema_path, const char *dir, const char *input_path, int pg_version,
                     bool spec_input, struct fz_result *out)
{
	memset(out, 0, sizeof(*out));
	mm_buf_init(&out->up);
	mm_buf_init(&out->down);
	mm_buf_init(&out->plan);
	mm_buf_init(&out->diags);
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	if (pg_version)
		ctx.opt.pg_version = pg_version;
	struct mm_plan plan = { 0 };
	struct mm_spec *spec = NULL;
	out->failed = compile_once(&ctx, schema_path, dir, input_path, spec_input, &spec, &plan) != 0 ||
	              ctx.diags.nerrors;
	if (!out->failed && input_path) {
		mm_emit_psql(&ctx, &plan, MM_UP, &out->up);
		mm_emit_psql(&ctx, &plan, MM_DOWN, &out->down);
		/* the default output (up to the checkpoint) and --phase contract: appended to the scripts
		 * checked, so each selection must parse as well */
		mm_emit_psql_phases(&ctx, &plan, MM_UP, MM_SEL_UNTIL_CHECKPOINT, &out->up);
		mm_emit_psql_phases(&ctx, &plan, MM_UP, MM_SEL_CONTRACT, &out->up);
		mm_emit_psql_phases(&ctx, &plan, MM_DOWN, MM_SEL_UNTIL_CHECKPOINT, &out->down);
		mm_emit_psql_phases(&ctx, &plan, MM_DOWN, MM_SEL_CONTRACT, &out->down);
		mm_emit_plan_text(&ctx, &plan, &out->plan);
		out->failed = ctx.diags.nerrors != 0;
	}
	if (spec)
		mm_spec_remap_diags(&ctx, spec);
	/* Rendering every diagnostic exercises the line/column and caret code on hostile text. */
	for (size_t i = 0; i < ctx.diags.items.len; i++)
		mm_diag_render(&out->diags, mm_vec_at(&ctx.diags.items, i), false);
	if (out->failed && !ctx.diags.nerrors) {
		fprintf(stderr, "fuzz: a failed compilation reported no error\n");
		abort();
	}
	mm_ctx_release(&ctx);
}

static void fail(const char *what, const char *why, const struct mm_buf *text)
{
	fprintf(stderr, "fuzz %s: %s\n", what, why);
	if (text)
		fprintf(stderr, "----\n%.*s\n----\n", (int)(text->len > 4000 ? 4000 : text->len), text->buf);
	abort();
}

static void must_reparse(const char *what, const char *label, const struct mm_buf *sql)
{
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	struct mm_source *src = mm_source_new(&ctx.arena, label, mm_strndup(&ctx.arena, sql->buf, sql->len), sql->len);
	struct mm_stmt_list l = { 0 };
	int rc = mm_sql_parse(&ctx, src, &l);
	if (rc != 0) {
		struct mm_buf d = MM_BUF_INIT;
		for (size_t i = 0; i < ctx.diags.items.len; i++)
			mm_diag_render(&d, mm_vec_at(&ctx.diags.items, i), false);
		fprintf(stderr, "%s", d.buf);
		mm_buf_release(&d);
		mm_ctx_release(&ctx);
		fail(what, mm_streq(label, "up") ? "the up script does not re-parse" : "the down script does not re-parse", sql);
	}
	mm_ctx_release(&ctx);
}

static bool buf_eq(const struct mm_buf *a, const struct mm_buf *b)
{
	return a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0;
}

void fz_check(const char *what, const struct fz_result *a, const struct fz_result *b)
{
	/* MKMIG_FUZZ_SHOW=1: print what a replayed input produced (to study a regression input). */
	if (getenv("MKMIG_FUZZ_SHOW"))
		fprintf(stderr, "%s%s", a->diags.buf, a->up.buf);
	if (a->failed) {
		if (!a->diags.len)
			fail(what, "an error without a message", NULL);
		if (a->up.len || a->down.len || a->plan.len)
			fail(what, "an error, yet output was produced", &a->up);
	} else if (a->up.len || a->down.len) {
		must_reparse(what, "up", &a->up);
		must_reparse(what, "down", &a->down);
	}
	if (b) {
		if (a->failed != b->failed)
			fail(what, "the same input failed once and succeeded once", &a->diags);
		if (!buf_eq(&a->up, &b->up))
			fail(what, "two runs gave different up scripts", &a->up);
		if (!buf_eq(&a->down, &b->down))
			fail(what, "two runs gave different down scripts", &a->down);
		if (!buf_eq(&a->plan, &b->plan))
			fail(what, "two runs gave different plans", &a->plan);
		if (!buf_eq(&a->diags, &b->diags))
			fail(what, "two runs gave different diagnostics", &a->diags);
	}
}

void fz_split(const uint8_t *data, size_t size, const char *marker, size_t *head, size_t *tail)
{
	size_t ml = strlen(marker);
	*head = *tail = 0;
	for (size_t off = 0; off + ml <= size;) {
		if (memcmp(data + off, marker, ml) == 0 && (off + ml == size || data[off + ml] == '\n')) {
			*head = off;
			*tail = off + ml + (off + ml < size);
			return;
		}
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		if (!nl)
			break;
		off = (size_t)(nl - data) + 1;
	}
}
