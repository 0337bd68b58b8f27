/*
 * diag.c — the diagnostic list and its one rendering: position, source line, caret, hint.
 * Line maps are built lazily, once per source.
 */
#include "mkmig/ctx.h"
#include "mkmig/diag.h"

#include <stdlib.h>
#include <string.h>

struct mm_source *mm_source_new(struct mm_arena *a, const char *name, const char *text, size_t len)
{
	struct mm_source *s = mm_alloc(a, sizeof(*s));
	s->name = mm_strdup(a, name);
	s->text = text;
	s->len = len;
	s->arena = a;
	return s;
}

static void build_lines(struct mm_source *s)
{
	size_t n = 1;
	for (size_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			n++;
	s->line_starts = mm_alloc(s->arena, n * sizeof(size_t));
	s->line_starts[0] = 0;
	size_t k = 1;
	for (size_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			s->line_starts[k++] = i + 1;
	s->nlines = n;
}

static size_t line_index(struct mm_source *s, size_t off)
{
	if (!s->line_starts)
		build_lines(s);
	size_t lo = 0, hi = s->nlines;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static size_t count_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

void mm_source_position(struct mm_source *src, size_t off, size_t *line, size_t *col)
{
	if (off > src->len)
		off = src->len;
	size_t li = line_index(src, off);
	*line = li + 1;
	*col = count_chars(src->text + src->line_starts[li], off - src->line_starts[li]) + 1;
}

void mm_source_line(struct mm_source *src, size_t off, size_t *start, size_t *end)
{
	if (off > src->len)
		off = src->len;
	size_t li = line_index(src, off);
	*start = src->line_starts[li];
	size_t e = *start;
	while (e < src->len && src->text[e] != '\n')
		e++;
	if (e > *start && src->text[e - 1] == '\r')
		e--;
	*end = e;
}

struct mm_diag *mm_diag_add(struct mm_arena *a, struct mm_diags *d, enum mm_severity sev,
                            const struct mm_source *src, size_t off, size_t len, const char *msg)
{
	struct mm_diag *dg = mm_alloc(a, sizeof(*dg));
	dg->severity = sev;
	dg->src = src;
	dg->off = off;
	dg->len = len;
	dg->message = msg;
	dg->seq = d->items.len;
	mm_vec_push(a, &d->items, dg);
	if (sev == MM_ERROR)
		d->nerrors++;
	return dg;
}

static const char *const severity_word[] = {
	[MM_NOTE] = "note",
	[MM_WARNING] = "warning",
	[MM_ERROR] = "error",
};
static const char *const severity_color[] = {
	[MM_NOTE] = "\033[1;36m",
	[MM_WARNING] = "\033[1;35m",
	[MM_ERROR] = "\033[1;31m",
};

void mm_diag_render(struct mm_buf *out, const struct mm_diag *dg, bool color)
{
	/* Rendering computes the line map, which mutates the source's cache only. */
	struct mm_source *src = (struct mm_source *)dg->src;
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	const char *sev = severity_word[dg->severity];
	const char *sevc = color ? severity_color[dg->severity] : "";
	if (!src) {
		mm_buf_addf(out, "%smkmig:%s %s%s:%s %s\n", bold, reset, sevc, sev, reset, dg->message);
	} else {
		size_t line, col;
		mm_source_position(src, dg->off, &line, &col);
		mm_buf_addf(out, "%s%s:%zu:%zu:%s %s%s:%s %s\n", bold, src->name, line, col, reset, sevc,
		            sev, reset, dg->message);
		size_t ls, le;
		mm_source_line(src, dg->off, &ls, &le);
		/* Tabs become single spaces on both lines so the caret stays under its character. */
		mm_buf_adds(out, "    ");
		for (size_t i = ls; i < le; i++)
			mm_buf_addch(out, src->text[i] == '\t' ? ' ' : src->text[i]);
		mm_buf_adds(out, "\n    ");
		for (size_t i = 1; i < col; i++)
			mm_buf_addch(out, ' ');
		size_t span = dg->len;
		if (dg->off + span > le)
			span = le > dg->off ? le - dg->off : 0;
		size_t width = span ? count_chars(src->text + dg->off, span) : 1;
		mm_buf_addf(out, "%s^", sevc);
		for (size_t i = 1; i < width; i++)
			mm_buf_addch(out, '~');
		mm_buf_addf(out, "%s\n", reset);
	}
	if (dg->hint)
		mm_buf_addf(out, "%shint:%s %s\n", bold, reset, dg->hint);
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct mm_diag *a = *(const struct mm_diag *const *)pa;
	const struct mm_diag *b = *(const struct mm_diag *const *)pb;
	/* Same source: by position; otherwise keep reporting order (sources are read in order). */
	if (a->src && a->src == b->src && a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void mm_diags_print(struct mm_diags *d, FILE *out, bool color)
{
	if (!d->items.len)
		return;
	struct mm_diag **sorted = mm_xmalloc(d->items.len * sizeof(*sorted));
	memcpy(sorted, d->items.items, d->items.len * sizeof(*sorted));
	qsort(sorted, d->items.len, sizeof(*sorted), diag_cmp);
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < d->items.len; i++)
		mm_diag_render(&b, sorted[i], color);
	fwrite(b.buf, 1, b.len, out);
	mm_buf_release(&b);
	free(sorted);
}
