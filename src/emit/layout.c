/*
 * layout.c — the layout table (one row per runner, each in its own layout_<name>.c), choosing
 * the layout of a directory, and writing a plan into it: the steps up to the first checkpoint as
 * files, the rest as pending phases in the manifest, all of it or nothing.
 */
#include "mkmig/layout.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

extern const struct mm_layout mm_layout_flyway, mm_layout_golang_migrate, mm_layout_goose, mm_layout_dbmate,
    mm_layout_liquibase, mm_layout_sqitch, mm_layout_plain;

static const struct mm_layout *const layouts[] = {
	&mm_layout_flyway, &mm_layout_golang_migrate, &mm_layout_goose, &mm_layout_dbmate, &mm_layout_liquibase,
	&mm_layout_sqitch, &mm_layout_plain,
};

const struct mm_layout *mm_layout_find(const char *name)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(layouts); i++)
		if (mm_streq(layouts[i]->name, name))
			return layouts[i];
	return NULL;
}

const char *mm_layout_names(void)
{
	return "flyway|golang-migrate|goose|dbmate|liquibase|sqitch|plain";
}

int mm_layout_choose(struct mm_ctx *ctx, const char *dir, const char *format, const struct mm_layout **out)
{
	if (format) {
		*out = mm_layout_find(format);
		if (!*out)
			return mm_error(ctx, NULL, 0, 0, "--format %s: unknown layout; expected one of %s", format,
			                mm_layout_names());
		/* Files of another runner in the directory: writing this layout beside them would leave a
		 * directory neither runner (nor the --dir loader) accepts. */
		struct mm_layout_run run;
		if (mm_layout_run_init(ctx, &run, dir) != 0)
			return -1;
		if ((*out)->detect(&run) > 0)
			return 0;
		for (size_t i = 0; i < MM_ARRAY_LEN(layouts); i++)
			if (layouts[i] != *out && layouts[i]->detect(&run) > 0)
				return mm_error_hint(ctx, NULL, 0, 0,
				                     mm_sprintf(&ctx->arena, "drop --format to write %s files, or use another directory",
				                                layouts[i]->name),
				                     "--out %s --format %s: the directory holds %s migrations", dir, format,
				                     layouts[i]->name);
		return 0;
	}
	struct mm_manifest m;
	int rc = mm_manifest_read(ctx, dir, &m);
	if (rc < 0)
		return -1;
	if (rc == 0 && (*out = mm_layout_find(m.format)))
		return 0;
	struct mm_layout_run run;
	if (mm_layout_run_init(ctx, &run, dir) != 0)
		return -1;
	int best = 0;
	const struct mm_layout *pick = NULL;
	bool tie = false;
	struct mm_buf seen = MM_BUF_INIT;
	for (size_t i = 0; i < MM_ARRAY_LEN(layouts); i++) {
		int score = layouts[i]->detect(&run);
		if (score > 0)
			mm_buf_addf(&seen, "%s%s", seen.len ? ", " : "", layouts[i]->name);
		if (score > best)
			best = score, pick = layouts[i], tie = false;
		else if (score && score == best)
			tie = true;
	}
	if (!pick || tie) {
		mm_error_hint(ctx, NULL, 0, 0, mm_sprintf(&ctx->arena, "say which with --format %s", mm_layout_names()),
		              "--out %s: %s", dir,
		              pick ? mm_sprintf(&ctx->arena, "the files fit more than one layout (%s)", seen.buf)
		                   : "no migrations here to tell the layout from");
		mm_buf_release(&seen);
		return -1;
	}
	mm_buf_release(&seen);
	*out = pick;
	return 0;
}

/* Where the phase of the first checkpoint starts: steps before it are written now. */
static enum mm_phase first_checkpoint(const struct mm_plan *plan, const char **message)
{
	enum mm_phase first = MM_PHASE__COUNT;
	*message = NULL;
	for (size_t i = 0; i < plan->checkpoints.len; i++) {
		const struct mm_checkpoint *c = mm_vec_at(&plan->checkpoints, i);
		if (c->before < first)
			first = c->before, *message = c->message;
	}
	return first;
}

static void record_files(struct mm_ctx *ctx, const struct mm_layout *l, struct mm_layout_run *run,
                         struct mm_manifest *m, const char *change)
{
	for (size_t i = 0; i < run->files.len; i++) {
		const struct mm_out_file *f = mm_vec_at(&run->files, i);
		if (!f->record)
			continue;
		struct mm_manifest_file *mf = mm_alloc(&ctx->arena, sizeof(*mf));
		mf->name = f->path;
		mf->xxh3 = mm_xxh3(f->text, f->len);
		mf->change = change;
		if (l->checksum)
			mf->runner = l->checksum(&ctx->arena, f->path, f->text, f->len);
		mm_vec_push(&ctx->arena, &m->files, mf);
	}
}

/* Write run->files, then the files it extends, then the manifest; on any failure nothing of the
 * run stays (new files removed, extended ones given back their old content). */
static int commit_run(struct mm_ctx *ctx, struct mm_layout_run *run, const struct mm_manifest *m)
{
	struct mm_arena *a = &ctx->arena;
	size_t n = 0, total = run->files.len;
	const char **paths = mm_alloc(a, (total + 1) * sizeof(char *));
	const char **texts = mm_alloc(a, (total + 1) * sizeof(char *));
	size_t *lens = mm_alloc(a, (total + 1) * sizeof(size_t));
	for (size_t i = 0; i < total; i++) {
		const struct mm_out_file *f = mm_vec_at(&run->files, i);
		if (f->replace)
			continue;
		paths[n] = mm_sprintf(a, "%s/%s", run->dir, f->path);
		texts[n] = f->text;
		lens[n++] = f->len;
	}
	size_t failed = 0;
	if (mm_write_files_new(paths, texts, lens, n, &failed) != 0)
		return mm_error(ctx, NULL, 0, 0, "%s: %s%s; nothing was written", paths[failed], strerror(errno),
		                errno == EEXIST ? " (mkmig never overwrites a migration)" : "");
	struct mm_buf sum = MM_BUF_INIT;
	mm_manifest_format(ctx, m, &sum);
	const char *mpath = mm_sprintf(a, "%s/%s", run->dir, MM_MANIFEST_NAME);
	size_t replaced = 0;
	const char *bad = NULL;
	int e = 0;
	for (size_t i = 0; i < total && !bad; i++, replaced = i) {
		const struct mm_out_file *f = mm_vec_at(&run->files, i);
		const char *path = mm_sprintf(a, "%s/%s", run->dir, f->path);
		if (f->replace && mm_write_file_atomic(path, f->text, f->len, true) != 0)
			bad = path, e = errno;
	}
	if (!bad && mm_write_file_atomic(mpath, sum.buf, sum.len, true) != 0)
		bad = mpath, e = errno;
	mm_buf_release(&sum);
	if (bad) {
		for (size_t i = 0; i < n; i++)
			unlink(paths[i]);
		for (size_t i = 0; i < replaced; i++) {
			const struct mm_out_file *f = mm_vec_at(&run->files, i);
			if (f->replace)
				mm_write_file_atomic(mm_sprintf(a, "%s/%s", run->dir, f->path), f->old, f->old_len, true);
		}
		return mm_error(ctx, NULL, 0, 0, "%s: %s; nothing was written", bad, strerror(e));
	}
	return 0;
}

static void list_files(const struct mm_layout_run *run, bool dry_run, struct mm_buf *out)
{
	for (size_t i = 0; i < run->files.len; i++) {
		const struct mm_out_file *f = mm_vec_at(&run->files, i);
		const char *verb = f->replace ? (dry_run ? "would append to" : "appended to") : dry_run ? "would write" : "wrote";
		mm_buf_addf(out, "%s %s/%s\n", verb, run->dir, f->path);
	}
	for (size_t i = 0; i < run->notes.len; i++)
		mm_buf_addf(out, "%s\n", (const char *)mm_vec_at(&run->notes, i));
}

/* Files the --dir loader does not replay (downs, verify scripts). */
static bool is_down_file(const struct mm_layout *l, const char *name)
{
	size_t n = strlen(name);
	if (mm_streq(l->name, "flyway"))
		return name[0] == 'U';
	return (n > 9 && !strcmp(name + n - 9, ".down.sql")) || !strncmp(name, "down/", 5) ||
	       !strncmp(name, "revert/", 7) || !strncmp(name, "verify/", 7);
}

int mm_layout_write_steps(struct mm_ctx *ctx, const struct mm_layout *l, const char *dir, struct mm_manifest *m,
                          const struct mm_out_step *steps, size_t n, const char *change, const char *naive_sql,
                          bool dry_run, struct mm_buf *out)
{
	struct mm_layout_run run;
	if (mm_layout_run_init(ctx, &run, dir) != 0)
		return -1;
	run.naive_sql = naive_sql;
	if (n && l->write(&run, steps, n) != 0)
		return -1;
	record_files(ctx, l, &run, m, change);
	for (size_t i = 0; naive_sql && i < run.files.len; i++) {
		const struct mm_out_file *f = mm_vec_at(&run.files, i);
		if (!f->record || is_down_file(l, f->path))
			continue;
		struct mm_manifest_run *r = mm_alloc(&ctx->arena, sizeof(*r));
		r->anchor = f->path;
		r->sql = naive_sql;
		mm_vec_push(&ctx->arena, &m->runs, r);
		break;
	}
	if (!dry_run && commit_run(ctx, &run, m) != 0)
		return -1;
	list_files(&run, dry_run, out);
	return 0;
}

int mm_layout_write_plan(struct mm_ctx *ctx, const struct mm_layout *l, const char *dir,
                         const struct mm_plan *plan, bool dry_run, struct mm_buf *out)
{
	struct mm_arena *a = &ctx->arena;
	struct mm_manifest m;
	int rc = mm_manifest_read(ctx, dir, &m);
	if (rc < 0)
		return -1;
	if (rc == 0 && !mm_streq(m.format, l->name))
		return mm_error(ctx, NULL, 0, 0, "--out %s: its manifest says the layout is %s, not %s", dir, m.format,
		                l->name);
	if (!plan->steps.len) {
		mm_buf_addf(out, "nothing to write into %s: the input makes no change\n", dir);
		return 0;
	}
	m.format = l->name;
	m.pg_version = ctx->opt.pg_version;
	const char *waits;
	enum mm_phase cut = first_checkpoint(plan, &waits);
	size_t total = plan->steps.len, now = 0;
	struct mm_out_step *steps = mm_alloc(a, (total + 1) * sizeof(*steps));
	const char *change = NULL;
	for (size_t i = 0; i < total; i++) {
		const struct mm_step *s = mm_vec_at(&plan->steps, i);
		steps[i] = (struct mm_out_step){ s, i + 1, total, mm_layout_slug(a, s->title, 60) };
		if (s->phase < cut)
			now = i + 1;
		if (!change)
			change = steps[i].desc;
	}
	/* The steps of later phases wait in the manifest. */
	if (now < total) {
		struct mm_manifest_pending *p = mm_alloc(a, sizeof(*p));
		/* Named after its last step, the change itself ("rename_users_user_name_to_username";
		 * the first may be the contract's guard), unique in the dir. */
		p->change = steps[total - 1].desc;
		for (size_t k = 0; k < m.pending.len; k++)
			if (mm_streq(((struct mm_manifest_pending *)mm_vec_at(&m.pending, k))->change, p->change))
				p->change = mm_sprintf(a, "%s_%zu", steps[total - 1].desc, m.pending.len + 1);
		p->waits = waits;
		p->first_number = now + 1;
		p->total = total;
		for (size_t i = now; i < total; i++)
			mm_vec_push(a, &p->steps, (void *)steps[i].step);
		mm_vec_push(a, &m.pending, p);
	}
	/* The statements the plan came from, each once, in order. */
	struct mm_buf naive = MM_BUF_INIT;
	const struct mm_stmt *last = NULL;
	for (size_t i = 0; i < total; i++) {
		const struct mm_step *s = steps[i].step;
		const struct mm_stmt *st = s->change ? s->change->stmt : NULL;
		if (!st || st == last || !st->text)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const struct mm_step *o = steps[k].step;
			seen = o->change && o->change->stmt == st;
		}
		if (!seen)
			mm_buf_addf(&naive, "%s;\n", st->text);
		last = st;
	}
	const char *naive_sql = naive.len ? mm_buf_arena(&naive, a) : NULL;
	mm_buf_release(&naive);
	if (mm_layout_write_steps(ctx, l, dir, &m, steps, now, change, naive_sql, dry_run, out) != 0)
		return -1;
	if (now < total) {
		const struct mm_manifest_pending *p = mm_vec_at(&m.pending, m.pending.len - 1);
		mm_buf_addf(out,
		            "%s: steps %zu-%zu of %zu (the contract phase) %s pending in %s/%s\n"
		            "  waits for: %s\n  then run: mkmig complete %s --out %s\n",
		            p->change, now + 1, total, total, dry_run ? "would stay" : "stay", dir, MM_MANIFEST_NAME,
		            waits ? waits : "the application deploy", p->change, dir);
	}
	return 0;
}
