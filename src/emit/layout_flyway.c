/*
 * layout_flyway.c — Flyway: V<version>__<description>.sql per step, the next version after the
 * highest existing V/U/B one in the repository's own style, `<file>.sql.conf` with
 * executeInTransaction=false for a non-transactional step (Flyway's auto-detection misses
 * committing DO blocks), U<version>__ undo files (only Flyway's paid editions run them; they are
 * what a person runs by hand otherwise). formats.md §2.
 *
 * Never `${` in a file: Flyway replaces placeholders everywhere, comments included, and aborts
 * on unknown names; a step whose own SQL has one gets placeholderReplacement=false instead.
 */
#include "mkmig/layout.h"

#include <stdlib.h>
#include <string.h>

/* Flyway writes each migration in its own transaction and reuses the connection. */
static const struct mm_sql_style flyway_style = { .tx = MM_TXW_RUNNER, .reset_after = true };

/* A Flyway version as written: digits separated by '.' or '_'. */
struct fver {
	const char *text;   /* as in the file name, e.g. "4_1" */
	size_t len;
};

static size_t version_len(const char *v)
{
	size_t n = 0;
	while ((v[n] >= '0' && v[n] <= '9') || ((v[n] == '.' || v[n] == '_') && v[n + 1] >= '0' && v[n + 1] <= '9'))
		n++;
	return n;
}

/* Compare versions part by part as arbitrary integers (MigrationVersion.compareTo). */
static int part_cmp(const char *a, size_t an, const char *b, size_t bn)
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

static bool is_sep(char c)
{
	return c == '.' || c == '_';
}

static int fver_cmp(struct fver x, struct fver y)
{
	const char *a = x.text, *ae = a + x.len, *b = y.text, *be = b + y.len;
	while (a < ae || b < be) {
		const char *an = a, *bn = b;
		while (an < ae && !is_sep(*an))
			an++;
		while (bn < be && !is_sep(*bn))
			bn++;
		int c = part_cmp(a < ae ? a : "0", a < ae ? (size_t)(an - a) : 1, b < be ? b : "0",
		                 b < be ? (size_t)(bn - b) : 1);
		if (c)
			return c;
		a = an < ae ? an + 1 : ae;
		b = bn < be ? bn + 1 : be;
	}
	return 0;
}

static bool flyway_name(const char *base, struct fver *v)
{
	if (!strchr("VUB", base[0]))
		return false;
	size_t n = version_len(base + 1);
	if (!n || strncmp(base + 1 + n, "__", 2) != 0)
		return false;
	*v = (struct fver){ base + 1, n };
	return true;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int detect(const struct mm_layout_run *run)
{
	int score = 0;
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		const char *b = basename_of(name);
		struct fver v;
		size_t n = strlen(b);
		if (n > 4 && !strcmp(b + n - 4, ".sql") && (flyway_name(b, &v) || !strncmp(b, "R__", 3)))
			score += 2;
		if (!strcmp(b, "flyway.conf") || !strcmp(b, "flyway.toml"))
			score += 3;
	}
	return score;
}

/* The next n versions after the highest V/U/B version: the last part of the highest one plus one
 * (4.1 -> 4.2, 007 -> 008), a timestamp when the highest looks like one (yyyymmddHHMMSS). */
static void next_versions(struct mm_layout_run *run, size_t n, const char **out)
{
	struct mm_arena *a = &run->ctx->arena;
	struct fver max = { NULL, 0 };
	for (size_t i = 0; i < run->existing.len; i++) {
		struct fver v;
		if (flyway_name(basename_of(mm_vec_at(&run->existing, i)), &v) && (!max.text || fver_cmp(v, max) > 0))
			max = v;
	}
	if (!max.text || !memchr(max.text, '.', max.len)) {
		if (!max.text || !memchr(max.text, '_', max.len)) {
			/* Whole numbers (or nothing yet): the shared rule, with V as the prefix... but the
			 * highest may be a U or B file, so compare across all three. */
			struct mm_layout_run only = *run;
			only.existing = (struct mm_vec){ 0 };
			if (max.text)
				mm_vec_push(a, &only.existing, mm_sprintf(a, "V%.*s__x.sql", (int)max.len, max.text));
			/* Keep the widest zero padding in use. */
			for (size_t i = 0; i < run->existing.len; i++) {
				struct fver v;
				if (flyway_name(basename_of(mm_vec_at(&run->existing, i)), &v) && v.text[0] == '0')
					mm_vec_push(a, &only.existing, mm_sprintf(a, "V%.*s__x.sql", (int)v.len, v.text));
			}
			mm_layout_next_numbers(&only, "V", false, n, out);
			return;
		}
	}
	/* Dotted: bump the last part, keep the rest and the separator. */
	const char *last = max.text + max.len;
	while (last > max.text && !is_sep(last[-1]))
		last--;
	size_t head = (size_t)(last - max.text);
	unsigned long long part = strtoull(last, NULL, 10);
	for (size_t i = 0; i < n; i++)
		out[i] = mm_sprintf(a, "%.*s%llu", (int)head, max.text, part + 1 + i);
}

static void add_conf(struct mm_layout_run *run, const char *file, bool nontx, bool placeholders, struct mm_buf *b)
{
	if (!nontx && !placeholders)
		return;
	if (nontx)
		mm_buf_adds(b, "executeInTransaction=false\n");
	if (placeholders)
		mm_buf_adds(b, "placeholderReplacement=false\n");
	mm_layout_add(run, mm_sprintf(&run->ctx->arena, "%s.conf", file), b, false);
}

/* Which config file Flyway reads for this project, and whether it turns the transactional
 * advisory lock off (without that, CREATE INDEX CONCURRENTLY can wait forever on Flyway's own
 * lock transaction: flyway/flyway#3497, #3854). */
static const char *config_hint(struct mm_layout_run *run)
{
	struct mm_arena *a = &run->ctx->arena;
	static const char *const places[] = { "", "/..", "/../..", "/../../.." };
	static const char *const names[] = { "flyway.toml", "flyway.conf", "conf/flyway.conf" };
	for (size_t p = 0; p < MM_ARRAY_LEN(places); p++)
		for (size_t k = 0; k < MM_ARRAY_LEN(names); k++) {
			const char *path = mm_sprintf(a, "%s%s/%s", run->dir, places[p], names[k]);
			char *text;
			size_t len;
			if (mm_read_file(path, &text, &len, 1 << 20) != 0)
				continue;
			bool off = false;
			for (char *l = strstr(text, "transactional.lock"); l && !off; l = strstr(l + 1, "transactional.lock")) {
				const char *q = l + strlen("transactional.lock");
				while (*q == ' ' || *q == '\t' || *q == '=')
					q++;
				off = !strncmp(q, "false", 5);
			}
			free(text);
			if (off)
				return NULL;
			return strstr(names[k], ".toml")
			           ? mm_sprintf(a, "note: %s: add these lines, or Flyway's transactional lock can make CREATE INDEX CONCURRENTLY wait forever:\n  [flyway.postgresql]\n  transactional.lock = false", path)
			           : mm_sprintf(a, "note: %s: add this line, or Flyway's transactional lock can make CREATE INDEX CONCURRENTLY wait forever:\n  flyway.postgresql.transactional.lock=false", path);
		}
	return "note: no flyway.toml or flyway.conf found: set postgresql.transactional.lock=false in the project's Flyway configuration\n"
	       "  (flyway.toml: [flyway.postgresql] transactional.lock = false; flyway.conf: flyway.postgresql.transactional.lock=false),\n"
	       "  or Flyway's transactional lock can make CREATE INDEX CONCURRENTLY wait forever";
}

static int write(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n)
{
	struct mm_ctx *ctx = run->ctx;
	struct mm_arena *a = &ctx->arena;
	const char **vers = mm_alloc(a, (n + 1) * sizeof(char *));
	next_versions(run, n, vers);
	bool any_nontx = false, any_down = false;
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct mm_out_step *os = &steps[i];
		const struct mm_step *s = os->step;
		if (strlen(vers[i]) > 50)
			return mm_error(ctx, NULL, 0, 0, "Flyway version %s is longer than the 50 characters its history table takes", vers[i]);
		for (int d = 0; d < 2; d++) {
			enum mm_direction dir = d ? MM_DOWN : MM_UP;
			if (dir == MM_DOWN && !s->down.len && !s->down_warning)
				continue;
			const char *file = mm_sprintf(a, "%c%s__%s.sql", d ? 'U' : 'V', vers[i], os->desc);
			mm_layout_step_comment(ctx, os, dir, "-- ", &b);
			if (dir == MM_DOWN)
				mm_buf_adds(&b, "-- Only Flyway Teams/Enterprise run U files (flyway undo); otherwise run it by hand.\n");
			mm_layout_step_body(ctx, os, dir, &flyway_style, &b);
			enum mm_unit unit = d ? s->down_unit : s->unit;
			bool nontx = unit != MM_UNIT_TX;
			bool placeholders = strstr(b.buf, "${") != NULL;
			any_nontx |= nontx && !d;
			any_down |= d;
			mm_layout_add(run, file, &b, true);
			add_conf(run, file, nontx, placeholders, &b);
		}
	}
	mm_buf_release(&b);
	if (any_nontx) {
		const char *hint = config_hint(run);
		if (hint)
			mm_vec_push(a, &run->notes, (void *)hint);
	}
	if (any_down)
		mm_vec_push(a, &run->notes,
		            "note: the U files are undo migrations: only Flyway Teams/Enterprise run them (open-source Flyway skips them; with validateMigrationNaming=true it rejects them)");
	return 0;
}

static const char *checksum(struct mm_arena *a, const char *path, const char *text, size_t len)
{
	(void)path;
	return mm_sprintf(a, "flyway-crc32:%d", (int)mm_flyway_crc32(text, len));
}

const struct mm_layout mm_layout_flyway = {
	.name = "flyway",
	.runner_sum = "flyway-crc32",
	.detect = detect,
	.write = write,
	.checksum = checksum,
};
