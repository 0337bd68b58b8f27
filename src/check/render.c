/*
 * render.c — findings as text for a person (file:line:col, the source line, a caret, the lock,
 * the size, the fix) and as JSON. The CI formats are in render_ci.c.
 */
#include "render.h"

#include <string.h>

static const char *const format_names[] = {
	[MM_CHECK_HUMAN] = "human", [MM_CHECK_JSON] = "json", [MM_CHECK_SARIF] = "sarif",
	[MM_CHECK_GITHUB] = "github", [MM_CHECK_GITLAB] = "gitlab",
};
_Static_assert(MM_ARRAY_LEN(format_names) == MM_CHECK_FORMAT__COUNT, "every format has a name");

bool mm_check_format_parse(const char *word, enum mm_check_format *out)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(format_names); i++)
		if (strcmp(word, format_names[i]) == 0) {
			*out = (enum mm_check_format)i;
			return true;
		}
	return false;
}

static const char *const severity_names[] = { [MM_NOTE] = "note", [MM_WARNING] = "warning", [MM_ERROR] = "error" };

const char *ck_severity_name(enum mm_severity s)
{
	return severity_names[s];
}

void ck_json_string(struct mm_buf *b, const char *s)
{
	mm_buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		/* Plain runs in one copy: statements and fixes are most of a report. */
		size_t run = 0;
		while (p[run] >= 0x20 && p[run] != '"' && p[run] != '\\')
			run++;
		if (run) {
			mm_buf_add(b, p, run);
			p += run - 1;
			continue;
		}
		if (*p == '"' || *p == '\\')
			mm_buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			mm_buf_adds(b, "\\n");
		else if (*p == '\t')
			mm_buf_adds(b, "\\t");
		else if (*p < 0x20)
			mm_buf_addf(b, "\\u%04x", *p);
		else
			mm_buf_addch(b, (char)*p);
	}
	mm_buf_addch(b, '"');
}

const char *ck_human_bytes(struct mm_arena *a, int64_t b)
{
	static const char *const units[] = { "bytes", "kB", "MB", "GB", "TB" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < MM_ARRAY_LEN(units))
		v /= 1024, u++;
	return u ? mm_sprintf(a, "%.1f %s", v, units[u]) : mm_sprintf(a, "%lld bytes", (long long)b);
}

const char *ck_duration(struct mm_arena *a, double s)
{
	if (s < 1)
		return "under a second";
	if (s < 120)
		return mm_sprintf(a, "about %.0f s", s);
	if (s < 7200)
		return mm_sprintf(a, "about %.0f min", s / 60);
	return mm_sprintf(a, "about %.1f h", s / 3600);
}

/* "SHARE on public.users (blocks writes; reads continue), index build" */
const char *ck_lock_text(struct mm_arena *a, const struct mm_finding *x)
{
	if (!x->has_lock)
		return NULL;
	return mm_sprintf(a, "%s on %s (%s), %s", mm_lock_name(x->lock), x->table ? x->table : "the table",
	                  mm_lock_blocks(x->lock), mm_work_name(x->work));
}

const char *ck_size_text(struct mm_arena *a, const struct mm_finding *x)
{
	if (x->rows < 0 && x->bytes < 0)
		return NULL;
	struct mm_buf b = MM_BUF_INIT;
	if (x->rows >= 0)
		mm_buf_addf(&b, "~%.0f rows", x->rows);
	if (x->bytes >= 0)
		mm_buf_addf(&b, "%s%s", x->rows >= 0 ? ", " : "", ck_human_bytes(a, x->bytes));
	if (x->seconds >= 0)
		mm_buf_addf(&b, ": the %s takes %s (estimate)", mm_work_name(x->work), ck_duration(a, x->seconds));
	return ck_buf_take(&b, a);
}

/* A person reads the fix in a terminal or a CI log: each step's first lines, the rest counted
 * (the JSON formats carry it whole; `mkmig FILE` prints it ready to run). */
#define FIX_LINES_PER_STEP 6

static void indent_block(struct mm_buf *out, const char *text, const char *prefix)
{
	const char *p = text;
	size_t shown = 0, hidden = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		bool header = strncmp(p, "-- step ", 8) == 0;
		if (header) {
			if (hidden)
				mm_buf_addf(out, "%s    ... (%zu more line%s)\n", prefix, hidden, hidden == 1 ? "" : "s");
			shown = hidden = 0;
		}
		if (header || shown < FIX_LINES_PER_STEP) {
			mm_buf_addf(out, "%s%.*s\n", prefix, (int)n, p);
			shown += !header;
		} else {
			hidden++;
		}
		p += n + (e ? 1 : 0);
	}
	if (hidden)
		mm_buf_addf(out, "%s    ... (%zu more line%s)\n", prefix, hidden, hidden == 1 ? "" : "s");
}

static void render_human_one(struct mm_arena *a, const struct mm_finding *x, bool color, struct mm_buf *out)
{
	static const char *const sev_color[] = { [MM_NOTE] = "\033[1;36m", [MM_WARNING] = "\033[1;35m", [MM_ERROR] = "\033[1;31m" };
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	size_t line, col, ls, le;
	mm_source_position(x->src, x->off, &line, &col);
	mm_source_line(x->src, x->off, &ls, &le);
	mm_buf_addf(out, "%s%s:%zu:%zu:%s %s%s[%s]%s: %s\n", bold, x->src->name, line, col, reset,
	            color ? sev_color[x->severity] : "", ck_severity_name(x->severity), x->rule->id, reset, x->message);
	char num[32];
	int w = snprintf(num, sizeof(num), "%zu", line);
	mm_buf_addf(out, " %s | %.*s\n", num, (int)(le - ls), x->src->text + ls);
	mm_buf_addf(out, " %*s | ", w, "");
	/* Caret under the first character, tildes to the end of the span on that line; columns
	 * count characters, so continuation bytes of UTF-8 add nothing. */
	for (size_t i = ls; i < x->off; i++)
		if (((unsigned char)x->src->text[i] & 0xC0) != 0x80)
			mm_buf_addch(out, x->src->text[i] == '\t' ? '\t' : ' ');
	mm_buf_adds(out, color ? "\033[1;32m^" : "^");
	size_t end = x->off + x->len < le ? x->off + x->len : le;
	for (size_t i = x->off + 1; i < end; i++)
		if (((unsigned char)x->src->text[i] & 0xC0) != 0x80)
			mm_buf_addch(out, '~');
	mm_buf_addf(out, "%s\n", reset);
	const char *lock = ck_lock_text(a, x), *size = ck_size_text(a, x);
	if (lock)
		mm_buf_addf(out, "  lock: %s\n", lock);
	if (size)
		mm_buf_addf(out, "  size: %s\n", size);
	if (x->note)
		mm_buf_addf(out, "  why: %s\n", x->note);
	if (x->fix) {
		mm_buf_adds(out, "  fix: what mkmig emits instead (`mkmig FILE` prints it ready to run, with lock_timeout and retries):\n");
		indent_block(out, x->fix, "    ");
	}
}

static void render_human(struct mm_check *c, bool color, struct mm_buf *out)
{
	size_t counts[3] = { 0 };
	for (size_t i = 0; i < c->findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c->findings, i);
		render_human_one(&c->ctx->arena, x, color, out);
		mm_buf_addch(out, '\n');
		counts[x->severity]++;
	}
	const char *bad = c->nbad ? mm_sprintf(&c->ctx->arena, "; %zu file%s not checked (bad input, see the errors)", c->nbad,
	                                       c->nbad == 1 ? "" : "s")
	                          : "";
	if (!c->findings.len) {
		mm_buf_addf(out, "mkmig check: %zu file%s, %zu statement%s, no hazards (PostgreSQL %d)%s\n", c->nfiles,
		            c->nfiles == 1 ? "" : "s", c->nstmts, c->nstmts == 1 ? "" : "s", c->ctx->opt.pg_version, bad);
		return;
	}
	mm_buf_addf(out, "mkmig check: %zu file%s, %zu statement%s: %zu error%s, %zu warning%s, %zu note%s (PostgreSQL %d)%s; "
	                 "'mkmig check --explain RULE' says more\n",
	            c->nfiles, c->nfiles == 1 ? "" : "s", c->nstmts, c->nstmts == 1 ? "" : "s", counts[MM_ERROR],
	            counts[MM_ERROR] == 1 ? "" : "s", counts[MM_WARNING], counts[MM_WARNING] == 1 ? "" : "s",
	            counts[MM_NOTE], counts[MM_NOTE] == 1 ? "" : "s", c->ctx->opt.pg_version, bad);
}

static void render_json(struct mm_check *c, struct mm_buf *out)
{
	struct mm_arena *a = &c->ctx->arena;
	mm_buf_adds(out, "[");
	for (size_t i = 0; i < c->findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c->findings, i);
		size_t line, col;
		mm_source_position(x->src, x->off, &line, &col);
		mm_buf_adds(out, i ? ",\n  {" : "\n  {");
		mm_buf_adds(out, "\"file\": ");
		ck_json_string(out, x->src->name);
		mm_buf_addf(out, ", \"line\": %zu, \"column\": %zu, \"rule\": ", line, col);
		ck_json_string(out, x->rule->id);
		mm_buf_adds(out, ", \"category\": ");
		ck_json_string(out, mm_check_category_name(x->rule->category));
		mm_buf_adds(out, ", \"severity\": ");
		ck_json_string(out, ck_severity_name(x->severity));
		mm_buf_adds(out, ", \"message\": ");
		ck_json_string(out, x->message);
		mm_buf_adds(out, ", \"statement\": ");
		ck_json_string(out, mm_strndup(a, x->src->text + x->stmt_off, x->stmt_len));
		if (x->has_lock) {
			mm_buf_adds(out, ", \"lock\": {\"mode\": ");
			ck_json_string(out, mm_lock_name(x->lock));
			mm_buf_adds(out, ", \"table\": ");
			ck_json_string(out, x->table);
			mm_buf_adds(out, ", \"blocks\": ");
			ck_json_string(out, mm_lock_blocks(x->lock));
			mm_buf_adds(out, ", \"work\": ");
			ck_json_string(out, mm_work_name(x->work));
			mm_buf_adds(out, "}");
		}
		if (x->rows >= 0)
			mm_buf_addf(out, ", \"rows\": %.0f", x->rows);
		if (x->bytes >= 0)
			mm_buf_addf(out, ", \"bytes\": %lld", (long long)x->bytes);
		if (x->seconds >= 0)
			mm_buf_addf(out, ", \"seconds\": %.1f", x->seconds);
		if (x->note) {
			mm_buf_adds(out, ", \"why\": ");
			ck_json_string(out, x->note);
		}
		mm_buf_adds(out, ", \"fix\": ");
		if (x->fix)
			ck_json_string(out, x->fix);
		else
			mm_buf_adds(out, "null");
		mm_buf_adds(out, "}");
	}
	mm_buf_adds(out, c->findings.len ? "\n]\n" : "]\n");
}

void mm_check_render(struct mm_check *c, enum mm_check_format f, bool color, struct mm_buf *out)
{
	switch (f) {
	case MM_CHECK_HUMAN:
		render_human(c, color, out);
		return;
	case MM_CHECK_JSON:
		render_json(c, out);
		return;
	case MM_CHECK_SARIF:
		ck_render_sarif(c, out);
		return;
	case MM_CHECK_GITHUB:
		ck_render_github(c, out);
		return;
	case MM_CHECK_GITLAB:
		ck_render_gitlab(c, out);
		return;
	case MM_CHECK_FORMAT__COUNT:
		break;
	}
	MM_BUG("bad check format");
}
