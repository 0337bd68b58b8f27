/*
 * manifest.c — mkmig.sum, mkmig's record in a migrations directory: one line per file it wrote
 * (xxh3-64 and the runner's own checksum, so `mkmig verify` sees edits the way the runner will),
 * and the pending phases of multi-deploy changes with their steps, so `mkmig complete` writes
 * them without the change being typed again.
 *
 * Line format (tab-separated fields, SQL with \\, \n, \t and \r escaped):
 *   format <layout>                      pg-version <N>
 *   file <name> <xxh3 hex> <runner sum or -> <change>
 *   run <first up file> <the naive SQL of the run>      (read by the --dir loader, model/dir_mkmig.c)
 *   pending <change> <first step number> <total steps>
 *   waits <what the application must have deployed>
 *   step <phase> <unit> <down unit> <plpgsql> <down plpgsql> <no timeout>
 *   title/why/warning/down-warning <text>     lock <mode> <work> <table>     up/down <sql>
 *   lock-timeout <ms>                    (a spec statement's own lock_timeout)
 *   end
 */
#include "mkmig/layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void add_escaped(struct mm_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': mm_buf_adds(b, "\\\\"); break;
		case '\n': mm_buf_adds(b, "\\n"); break;
		case '\t': mm_buf_adds(b, "\\t"); break;
		case '\r': mm_buf_adds(b, "\\r"); break;
		default: mm_buf_addch(b, *s);
		}
	}
}

static char *unescape(struct mm_arena *a, const char *s, size_t n)
{
	char *r = mm_alloc(a, n + 1), *o = r;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			*o++ = s[i];
			continue;
		}
		char c = s[++i];
		*o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
	}
	*o = '\0';
	return r;
}

static void field(struct mm_buf *b, const char *key, const char *text)
{
	if (!text)
		return;
	mm_buf_addf(b, "%s\t", key);
	add_escaped(b, text);
	mm_buf_addch(b, '\n');
}

void mm_manifest_format(struct mm_ctx *ctx, const struct mm_manifest *m, struct mm_buf *out)
{
	(void)ctx;
	mm_buf_adds(out, "# mkmig.sum: what mkmig wrote here and what is pending. Written by mkmig; do not edit.\n"
	                 "# `mkmig status DIR`, `mkmig verify DIR`, `mkmig complete --out DIR` read it.\n");
	mm_buf_addf(out, "format\t%s\npg-version\t%d\n", m->format, m->pg_version);
	for (size_t i = 0; i < m->files.len; i++) {
		const struct mm_manifest_file *f = mm_vec_at(&m->files, i);
		mm_buf_addf(out, "file\t%s\t%016llx\t%s\t%s\n", f->name, (unsigned long long)f->xxh3,
		            f->runner ? f->runner : "-", f->change ? f->change : "-");
	}
	for (size_t i = 0; i < m->runs.len; i++) {
		const struct mm_manifest_run *r = mm_vec_at(&m->runs, i);
		mm_buf_addf(out, "run\t%s\t", r->anchor);
		add_escaped(out, r->sql);
		mm_buf_addch(out, '\n');
	}
	for (size_t i = 0; i < m->pending.len; i++) {
		const struct mm_manifest_pending *p = mm_vec_at(&m->pending, i);
		mm_buf_addf(out, "pending\t%s\t%zu\t%zu\n", p->change, p->first_number, p->total);
		field(out, "waits", p->waits);
		for (size_t k = 0; k < p->steps.len; k++) {
			const struct mm_step *s = mm_vec_at(&p->steps, k);
			mm_buf_addf(out, "step\t%d\t%d\t%d\t%d\t%d\t%d\n", (int)s->phase, (int)s->unit, (int)s->down_unit,
			            s->plpgsql, s->down_plpgsql, s->no_timeout);
			field(out, "title", s->title);
			if (s->lock_timeout_ms)
				mm_buf_addf(out, "lock-timeout\t%d\n", s->lock_timeout_ms);
			field(out, "why", s->why);
			field(out, "warning", s->warning);
			field(out, "down-warning", s->down_warning);
			for (size_t j = 0; j < s->locks.len; j++) {
				const struct mm_lock_use *l = mm_vec_at(&s->locks, j);
				mm_buf_addf(out, "lock\t%d\t%d\t", (int)l->mode, (int)l->work);
				add_escaped(out, l->table);
				mm_buf_addch(out, '\n');
			}
			for (size_t j = 0; j < s->up.len; j++)
				field(out, "up", mm_vec_at(&s->up, j));
			for (size_t j = 0; j < s->down.len; j++)
				field(out, "down", mm_vec_at(&s->down, j));
		}
		mm_buf_adds(out, "end\n");
	}
}

/* Split a line at tabs into at most max fields (text fields carry their tabs escaped). */
static size_t split(struct mm_arena *a, const char *line, size_t n, char **f, size_t max)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n && k < max; i++) {
		if (i == n || (line[i] == '\t' && k + 1 < max)) {
			f[k++] = unescape(a, line + start, i - start);
			start = i + 1;
		}
	}
	return k;
}

static int bad(struct mm_ctx *ctx, const char *path, size_t lineno, const char *what)
{
	return mm_error(ctx, NULL, 0, 0, "%s:%zu: %s (the manifest is written by mkmig; was it edited?)", path,
	                lineno, what);
}

static bool in_range(long v, long count)
{
	return v >= 0 && v < count;
}

int mm_manifest_read(struct mm_ctx *ctx, const char *dir, struct mm_manifest *m)
{
	struct mm_arena *a = &ctx->arena;
	memset(m, 0, sizeof(*m));
	m->pg_version = ctx->opt.pg_version;
	const char *path = mm_sprintf(a, "%s/%s", dir, MM_MANIFEST_NAME);
	char *text;
	size_t len;
	if (mm_read_file(path, &text, &len, (size_t)64 << 20) != 0) {
		if (errno == ENOENT)
			return 1;
		return mm_error(ctx, NULL, 0, 0, "%s: %s", path, strerror(errno));
	}
	char *t = mm_strndup(a, text, len);
	free(text);
	struct mm_manifest_pending *p = NULL;
	struct mm_step *s = NULL;
	size_t lineno = 0;
	for (char *line = t; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		lineno++;
		char *f[8] = { 0 };
		size_t k = n && line[0] != '#' ? split(a, line, n, f, 8) : 0;
		line = nl ? nl + 1 : line + n;
		if (!k)
			continue;
		const char *key = f[0];
		if (!strcmp(key, "format") && k == 2)
			m->format = f[1];
		else if (!strcmp(key, "pg-version") && k == 2)
			m->pg_version = atoi(f[1]);
		else if (!strcmp(key, "file") && k == 5) {
			struct mm_manifest_file *mf = mm_alloc(a, sizeof(*mf));
			mf->name = f[1];
			mf->xxh3 = strtoull(f[2], NULL, 16);
			mf->runner = strcmp(f[3], "-") ? f[3] : NULL;
			mf->change = strcmp(f[4], "-") ? f[4] : NULL;
			mm_vec_push(a, &m->files, mf);
		} else if (!strcmp(key, "run") && k == 3) {
			struct mm_manifest_run *r = mm_alloc(a, sizeof(*r));
			r->anchor = f[1];
			r->sql = f[2];
			mm_vec_push(a, &m->runs, r);
		} else if (!strcmp(key, "pending") && k == 4) {
			p = mm_alloc(a, sizeof(*p));
			p->change = f[1];
			p->first_number = strtoul(f[2], NULL, 10);
			p->total = strtoul(f[3], NULL, 10);
			mm_vec_push(a, &m->pending, p);
			s = NULL;
		} else if (!strcmp(key, "end") && p) {
			p = NULL;
			s = NULL;
		} else if (p && !strcmp(key, "waits") && k == 2)
			p->waits = f[1];
		else if (p && !strcmp(key, "step") && k == 7) {
			long v[6];
			for (int i = 0; i < 6; i++)
				v[i] = atol(f[i + 1]);
			if (!in_range(v[0], MM_PHASE__COUNT) || !in_range(v[1], MM_UNIT__COUNT) || !in_range(v[2], MM_UNIT__COUNT))
				return bad(ctx, path, lineno, "bad step line");
			s = mm_alloc(a, sizeof(*s));
			s->phase = (enum mm_phase)v[0];
			s->unit = (enum mm_unit)v[1];
			s->down_unit = (enum mm_unit)v[2];
			s->plpgsql = v[3];
			s->down_plpgsql = v[4];
			s->no_timeout = v[5];
			mm_vec_push(a, &p->steps, s);
		} else if (s && k == 2 && !strcmp(key, "title"))
			s->title = f[1];
		else if (s && k == 2 && !strcmp(key, "lock-timeout"))
			s->lock_timeout_ms = atoi(f[1]);
		else if (s && k == 2 && !strcmp(key, "why"))
			s->why = f[1];
		else if (s && k == 2 && !strcmp(key, "warning"))
			s->warning = f[1];
		else if (s && k == 2 && !strcmp(key, "down-warning"))
			s->down_warning = f[1];
		else if (s && k == 2 && !strcmp(key, "up"))
			mm_vec_push(a, &s->up, f[1]);
		else if (s && k == 2 && !strcmp(key, "down"))
			mm_vec_push(a, &s->down, f[1]);
		else if (s && k == 4 && !strcmp(key, "lock")) {
			long mode = atol(f[1]), work = atol(f[2]);
			if (!in_range(mode, MM_LOCK__COUNT) || !in_range(work, MM_WORK__COUNT))
				return bad(ctx, path, lineno, "bad lock line");
			struct mm_lock_use *l = mm_alloc(a, sizeof(*l));
			l->mode = (enum mm_lock)mode;
			l->work = (enum mm_work)work;
			l->table = f[3];
			mm_vec_push(a, &s->locks, l);
		} else
			return bad(ctx, path, lineno, mm_sprintf(a, "unexpected line '%s'", key));
	}
	if (p)
		return bad(ctx, path, lineno, "pending block without 'end'");
	if (!m->format)
		return bad(ctx, path, lineno, "no 'format' line");
	return 0;
}
