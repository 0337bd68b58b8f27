/*
 * layout_common.c — what every directory layout shares: the directory scan, description slugs,
 * the next version number in the repository's own style, and each file's header and body.
 */
#define _DEFAULT_SOURCE
#include "mkmig/layout.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Flyway scans its locations recursively; deeper trees are not migration directories. */
#define MAX_DEPTH 8

static void scan(struct mm_layout_run *run, const char *abs, const char *rel, int depth)
{
	DIR *d = opendir(abs);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		const char *a = mm_sprintf(&run->ctx->arena, "%s/%s", abs, e->d_name);
		const char *r = *rel ? mm_sprintf(&run->ctx->arena, "%s/%s", rel, e->d_name) : mm_strdup(&run->ctx->arena, e->d_name);
		struct stat st;
		if (stat(a, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < MAX_DEPTH)
				scan(run, a, r, depth + 1);
		} else
			mm_vec_push(&run->ctx->arena, &run->existing, (void *)r);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mm_layout_run_init(struct mm_ctx *ctx, struct mm_layout_run *run, const char *dir)
{
	memset(run, 0, sizeof(*run));
	run->ctx = ctx;
	run->dir = dir;
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return mm_error(ctx, NULL, 0, 0, "--out %s: %s", dir, errno ? strerror(errno) : "not a directory");
	scan(run, dir, "", 0);
	/* Deterministic: readdir order is the file system's. */
	if (run->existing.len)
		qsort(run->existing.items, run->existing.len, sizeof(void *), cmp_str);
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	run->now = sde && *sde ? strtoll(sde, NULL, 10) : (long long)time(NULL);
	return 0;
}

const char *mm_layout_slug(struct mm_arena *a, const char *title, size_t max)
{
	struct mm_buf b = MM_BUF_INIT;
	const char *p = title;
	bool sep = false;
	while (*p && *p != ':' && *p != '(') {
		if (strncmp(p, "public.", 7) == 0 && (p == title || p[-1] == ' ')) {
			p += 7;
			continue;
		}
		char c = *p++;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!ok) {
			sep = b.len > 0;
			continue;
		}
		if (sep && b.len < max)
			mm_buf_addch(&b, '_');
		sep = false;
		if (b.len < max)
			mm_buf_addch(&b, c);
	}
	while (b.len && b.buf[b.len - 1] == '_')
		b.buf[--b.len] = '\0';
	const char *s = b.len ? mm_buf_arena(&b, a) : "change";
	mm_buf_release(&b);
	return s;
}

void mm_layout_add(struct mm_layout_run *run, const char *path, struct mm_buf *text, bool record)
{
	struct mm_out_file *f = mm_alloc(&run->ctx->arena, sizeof(*f));
	f->path = path;
	f->len = text->len;
	f->text = mm_buf_arena(text, &run->ctx->arena);
	f->record = record;
	mm_vec_push(&run->ctx->arena, &run->files, f);
	mm_buf_reset(text);
}

void mm_layout_append(struct mm_layout_run *run, const char *path, const char *old, size_t old_len,
                      struct mm_buf *text)
{
	struct mm_out_file *f = mm_alloc(&run->ctx->arena, sizeof(*f));
	struct mm_buf all = MM_BUF_INIT;
	mm_buf_add(&all, old, old_len);
	mm_buf_add(&all, text->buf, text->len);
	f->path = path;
	f->len = all.len;
	f->text = mm_buf_arena(&all, &run->ctx->arena);
	f->replace = true;
	f->old = mm_strndup(&run->ctx->arena, old, old_len);
	f->old_len = old_len;
	mm_buf_release(&all);
	mm_buf_reset(text);
	mm_vec_push(&run->ctx->arena, &run->files, f);
}

void mm_layout_step_comment(struct mm_ctx *ctx, const struct mm_out_step *os, enum mm_direction dir,
                            const char *prefix, struct mm_buf *out)
{
	(void)ctx;
	const struct mm_step *s = os->step;
	enum mm_unit unit = dir == MM_UP ? s->unit : s->down_unit;
	mm_buf_addf(out, "%smkmig %sstep %zu/%zu (%s, %s): %s\n", prefix, dir == MM_UP ? "" : "undo of ", os->number,
	            os->total, mm_phase_name(s->phase), mm_unit_name(unit), s->title);
	if (dir == MM_UP)
		for (size_t i = 0; i < s->locks.len; i++) {
			const struct mm_lock_use *l = mm_vec_at(&s->locks, i);
			mm_buf_addf(out, "%s  lock: %s on %s (%s), %s\n", prefix, mm_lock_name(l->mode), l->table,
			            mm_lock_blocks(l->mode), mm_work_name(l->work));
		}
	const char *w = dir == MM_UP ? s->warning : s->down_warning;
	if (w)
		mm_buf_addf(out, "%sWARNING: %s\n", prefix, w);
}

void mm_layout_step_body(struct mm_ctx *ctx, const struct mm_out_step *os, enum mm_direction dir,
                         const struct mm_sql_style *st, struct mm_buf *out)
{
	const struct mm_step *s = os->step;
	const struct mm_vec *stmts = dir == MM_UP ? &s->up : &s->down;
	if (!stmts->len)
		return;
	if (mm_step_needs_retry(s, dir)) {
		/* In a file that opens its own transaction the helper goes inside it. */
		if (st->tx == MM_TXW_FILE) {
			struct mm_sql_style inner = *st;
			mm_buf_adds(out, "BEGIN;\n");
			mm_emit_retry_helper(ctx, st, out);
			inner.tx = MM_TXW_RUNNER;
			mm_emit_step_sql_styled(ctx, s, dir, &inner, out);
			mm_buf_adds(out, "COMMIT;\n");
			return;
		}
		mm_emit_retry_helper(ctx, st, out);
	}
	/* A runner sending the unit as one string gets the helper inside it (sqltext.c). */
	if (mm_step_needs_batch_helper(s, dir) && !st->one_string)
		mm_emit_batch_helper(ctx, st, out);
	mm_emit_step_sql_styled(ctx, s, dir, st, out);
}

/* Leading digits of name after prefix, or 0 chars. */
static size_t leading_digits(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* Compare two digit strings as numbers. */
static int num_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an > 1 && *a == '0')
		a++, an--;
	while (bn > 1 && *b == '0')
		b++, bn--;
	if (an != bn)
		return an < bn ? -1 : 1;
	int c = memcmp(a, b, an);
	return c < 0 ? -1 : c > 0;
}

/* Add one to a digit string, keeping at least width digits. */
static char *num_inc(struct mm_arena *a, const char *s, size_t n, size_t width)
{
	char *r = mm_alloc(a, n + 2 + width);
	memcpy(r + 1, s, n);
	r[0] = '0';
	r[n + 1] = '\0';
	size_t i = n;
	for (;;) {
		if (r[i] == '9') {
			r[i] = '0';
			i--;
			continue;
		}
		r[i]++;
		break;
	}
	char *out = r[0] == '0' ? r + 1 : r;
	size_t len = strlen(out);
	if (len < width) {
		char *p = mm_alloc(a, width + 1);
		memset(p, '0', width - len);
		memcpy(p + width - len, out, len + 1);
		out = p;
	}
	return out;
}

static const char *timestamp(struct mm_arena *a, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	return mm_sprintf(a, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	                  tm.tm_min, tm.tm_sec);
}

void mm_layout_next_numbers(struct mm_layout_run *run, const char *prefix, bool default_ts, size_t n,
                            const char **out)
{
	struct mm_arena *a = &run->ctx->arena;
	size_t plen = strlen(prefix);
	const char *max = NULL;
	size_t max_n = 0, width = 0;
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		const char *base = strrchr(name, '/');
		base = base ? base + 1 : name;
		if (strncmp(base, prefix, plen) != 0)
			continue;
		const char *d = base + plen;
		size_t dn = leading_digits(d);
		if (!dn)
			continue;
		if (d[0] == '0' && dn > width)
			width = dn;
		if (!max || num_cmp(d, dn, max, max_n) > 0)
			max = d, max_n = dn;
	}
	bool ts = max ? max_n == 14 : default_ts;
	for (size_t i = 0; i < n; i++) {
		const char *v = NULL;
		if (ts) {
			v = timestamp(a, run->now + (long long)i);
			if (max && num_cmp(v, strlen(v), max, max_n) <= 0)
				v = num_inc(a, max, max_n, 0);
		} else
			v = max ? num_inc(a, max, max_n, width) : num_inc(a, "0", 1, width ? width : 1);
		out[i] = v;
		max = v;
		max_n = strlen(v);
	}
}

int mm_layout_detect_marker(const struct mm_layout_run *run, const char *marker)
{
	int score = 0;
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		size_t n = strlen(name);
		if (strchr(name, '/') || n < 5 || strcmp(name + n - 4, ".sql") || !(name[0] >= '0' && name[0] <= '9'))
			continue;
		char *text;
		size_t len;
		if (mm_read_file(mm_sprintf(&run->ctx->arena, "%s/%s", run->dir, name), &text, &len, 1 << 24) != 0)
			continue;
		if (strstr(text, marker))
			score += 2;
		free(text);
	}
	return score;
}
