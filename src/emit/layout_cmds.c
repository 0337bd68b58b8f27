/*
 * layout_cmds.c — what `mkmig status`, `mkmig verify` and `mkmig complete` do with a directory
 * and its manifest.
 */
#include "mkmig/layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int load(struct mm_ctx *ctx, const char *dir, struct mm_manifest *m, const struct mm_layout **l)
{
	int rc = mm_manifest_read(ctx, dir, m);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return mm_error(ctx, NULL, 0, 0, "%s: no %s here: mkmig has not written into this directory", dir,
		                MM_MANIFEST_NAME);
	*l = mm_layout_find(m->format);
	if (!*l)
		return mm_error(ctx, NULL, 0, 0, "%s/%s: unknown layout '%s'", dir, MM_MANIFEST_NAME, m->format);
	return 0;
}

int mm_layout_status(struct mm_ctx *ctx, const char *dir, struct mm_buf *out)
{
	struct mm_manifest m;
	const struct mm_layout *l;
	if (load(ctx, dir, &m, &l) != 0)
		return -1;
	mm_buf_addf(out, "%s (%s): %zu file%s written by mkmig\n", dir, l->name, m.files.len, m.files.len == 1 ? "" : "s");
	const char *change = NULL;
	for (size_t i = 0; i < m.files.len; i++) {
		const struct mm_manifest_file *f = mm_vec_at(&m.files, i);
		if (!mm_streq(f->change, change))
			mm_buf_addf(out, "  %s:\n", f->change ? f->change : "(no change name)");
		change = f->change;
		mm_buf_addf(out, "    %s\n", f->name);
	}
	if (!m.pending.len)
		mm_buf_adds(out, "nothing pending\n");
	for (size_t i = 0; i < m.pending.len; i++) {
		const struct mm_manifest_pending *p = mm_vec_at(&m.pending, i);
		mm_buf_addf(out, "pending: %s, steps %zu-%zu of %zu\n  waits for: %s\n", p->change, p->first_number,
		            p->first_number + p->steps.len - 1, p->total, p->waits ? p->waits : "an application deploy");
		for (size_t k = 0; k < p->steps.len; k++) {
			const struct mm_step *s = mm_vec_at(&p->steps, k);
			mm_buf_addf(out, "  %zu. %s\n", p->first_number + k, s->title);
		}
		mm_buf_addf(out, "  then run: mkmig complete %s --out %s\n", p->change, dir);
	}
	return 0;
}

/* A file of the directory with this content hash that the manifest does not name (a rename). */
static const char *find_renamed(struct mm_ctx *ctx, const char *dir, const struct mm_manifest *m, uint64_t want)
{
	struct mm_layout_run run;
	if (mm_layout_run_init(ctx, &run, dir) != 0)
		return NULL;
	for (size_t i = 0; i < run.existing.len; i++) {
		const char *name = mm_vec_at(&run.existing, i);
		bool known = !strcmp(name, MM_MANIFEST_NAME);
		for (size_t k = 0; k < m->files.len && !known; k++)
			known = !strcmp(((const struct mm_manifest_file *)mm_vec_at(&m->files, k))->name, name);
		if (known)
			continue;
		char *text;
		size_t len;
		if (mm_read_file(mm_sprintf(&ctx->arena, "%s/%s", dir, name), &text, &len, (size_t)1 << 28) != 0)
			continue;
		bool same = mm_xxh3(text, len) == want;
		free(text);
		if (same)
			return name;
	}
	return NULL;
}

int mm_layout_verify(struct mm_ctx *ctx, const char *dir, struct mm_buf *out)
{
	struct mm_manifest m;
	const struct mm_layout *l;
	if (load(ctx, dir, &m, &l) != 0)
		return -1;
	size_t problems = 0;
	for (size_t i = 0; i < m.files.len; i++) {
		const struct mm_manifest_file *f = mm_vec_at(&m.files, i);
		const char *path = mm_sprintf(&ctx->arena, "%s/%s", dir, f->name);
		char *text;
		size_t len;
		if (mm_read_file(path, &text, &len, (size_t)1 << 28) != 0) {
			const char *to = errno == ENOENT ? find_renamed(ctx, dir, &m, f->xxh3) : NULL;
			if (to)
				mm_buf_addf(out, "%s: renamed to %s/%s\n", path, dir, to);
			else
				mm_buf_addf(out, "%s: %s\n", path, errno == ENOENT ? "deleted" : strerror(errno));
			if (!strcmp(l->name, "flyway") && f->name[0] == 'V')
				mm_buf_adds(out, "  Flyway validate fails if it was applied: applied migration not resolved locally\n");
			problems++;
			continue;
		}
		uint64_t h = mm_xxh3(text, len);
		const char *now = l->checksum ? l->checksum(&ctx->arena, f->name, text, len) : NULL;
		free(text);
		if (h == f->xxh3)
			continue;
		problems++;
		mm_buf_addf(out, "%s: edited since mkmig wrote it\n", path);
		if (f->runner && l->diff && (!now || strcmp(now, f->runner)))
			l->diff(&ctx->arena, f->runner, now, out);
		else if (now && f->runner && strcmp(now, f->runner))
			mm_buf_addf(out, "  %s rejects it if it was applied: checksum mismatch (recorded %s, now %s)\n", l->name,
			            strchr(f->runner, ':') + 1, strchr(now, ':') + 1);
		else if (now && f->runner)
			mm_buf_addf(out, "  %s's own checksum is unchanged (only line breaks or a BOM differ)\n", l->name);
	}
	if (!problems)
		mm_buf_addf(out, "%s: %zu file%s as mkmig wrote them\n", dir, m.files.len, m.files.len == 1 ? "" : "s");
	return problems ? 1 : 0;
}

int mm_layout_complete(struct mm_ctx *ctx, const char *dir, const char *change, struct mm_buf *out)
{
	struct mm_arena *a = &ctx->arena;
	struct mm_manifest m;
	const struct mm_layout *l;
	if (load(ctx, dir, &m, &l) != 0)
		return -1;
	if (!m.pending.len)
		return mm_error(ctx, NULL, 0, 0, "%s: nothing is pending", dir);
	struct mm_manifest_pending *p = NULL;
	size_t at = 0;
	for (size_t i = 0; i < m.pending.len; i++) {
		struct mm_manifest_pending *q = mm_vec_at(&m.pending, i);
		if (change ? mm_streq(q->change, change) : true) {
			if (p && !change) {
				struct mm_buf names = MM_BUF_INIT;
				for (size_t k = 0; k < m.pending.len; k++)
					mm_buf_addf(&names, "%s%s", k ? ", " : "",
					            ((struct mm_manifest_pending *)mm_vec_at(&m.pending, k))->change);
				int rc = mm_error(ctx, NULL, 0, 0, "%s: several changes are pending (%s): name one", dir, names.buf);
				mm_buf_release(&names);
				return rc;
			}
			p = q, at = i;
		}
	}
	if (!p)
		return mm_error(ctx, NULL, 0, 0, "%s: no pending change named '%s' (see mkmig status %s)", dir, change, dir);
	/* Plan for the version the change was planned for (SQL forms depend on it). */
	ctx->opt.pg_version = m.pg_version;
	struct mm_out_step *steps = mm_alloc(a, (p->steps.len + 1) * sizeof(*steps));
	for (size_t k = 0; k < p->steps.len; k++) {
		const struct mm_step *s = mm_vec_at(&p->steps, k);
		steps[k] = (struct mm_out_step){ s, p->first_number + k, p->total, mm_layout_slug(a, s->title, 60) };
	}
	/* The manifest written with the files no longer lists it as pending. */
	for (size_t i = at; i + 1 < m.pending.len; i++)
		m.pending.items[i] = m.pending.items[i + 1];
	m.pending.len--;
	return mm_layout_write_steps(ctx, l, dir, &m, steps, p->steps.len, p->change, NULL, false, out);
}
