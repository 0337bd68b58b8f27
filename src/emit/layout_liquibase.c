/*
 * layout_liquibase.c — Liquibase formatted SQL (formats.md §6): one changelog file per run,
 * changes/<N>_<description>.sql, one changeset per step (`--changeset mkmig:<id>`), its down as
 * `--rollback` lines; included by appending to the master changelog (YAML or XML) when one exists.
 *
 * Liquibase runs a changeset in a transaction unless runInTransaction:false (then autocommit,
 * statement by statement after its `;` split, which knows nothing of `$$` bodies): a changeset
 * with a body gets splitStatements:false and reaches the server as one string, so a
 * non-transactional one is a single statement with no SET around it.
 */
#include "mkmig/layout.h"

#include <stdlib.h>
#include <string.h>

static const struct mm_sql_style lb_style = { .tx = MM_TXW_RUNNER, .one_string = true };

static const char *const masters[] = {
	"db.changelog-master.yaml", "db.changelog-master.yml", "db.changelog-master.xml",
	"changelog.yaml", "changelog.yml", "changelog.xml",
};

static int detect(const struct mm_layout_run *run)
{
	int score = 0;
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		for (size_t k = 0; k < MM_ARRAY_LEN(masters); k++)
			if (!strcmp(name, masters[k]))
				score += 3;
		size_t n = strlen(name);
		if (n < 5 || strcmp(name + n - 4, ".sql"))
			continue;
		char *text;
		size_t len;
		if (mm_read_file(mm_sprintf(&run->ctx->arena, "%s/%s", run->dir, name), &text, &len, 1 << 24) != 0)
			continue;
		if (!strncmp(text, "--liquibase formatted sql", 25))
			score += 2;
		free(text);
	}
	return score;
}

/* The lines of text, each after prefix. */
static void prefixed(struct mm_buf *out, const char *prefix, const char *text, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text - i) : len - i;
		mm_buf_addf(out, "%s%.*s\n", prefix, (int)n, text + i);
		i += n + 1;
	}
}

static int changeset(struct mm_ctx *ctx, const char *id, const struct mm_out_step *os, struct mm_buf *out)
{
	const struct mm_step *s = os->step;
	struct mm_buf up = MM_BUF_INIT, down = MM_BUF_INIT;
	mm_layout_step_comment(ctx, os, MM_UP, "-- ", &up);
	mm_layout_step_body(ctx, os, MM_UP, &lb_style, &up);
	mm_layout_step_comment(ctx, os, MM_DOWN, "-- ", &down);
	if (s->down.len)
		mm_layout_step_body(ctx, os, MM_DOWN, &lb_style, &down);
	else
		mm_buf_adds(&down, "SELECT 1; -- nothing to undo\n");
	if (mm_layout_refuse_directives(ctx, os, &mm_directives_liquibase) != 0) {
		mm_buf_release(&up);
		mm_buf_release(&down);
		return -1;
	}
	if (s->unit != MM_UNIT_TX && s->up.len > 1) {
		mm_buf_release(&up);
		mm_buf_release(&down);
		return mm_error(ctx, NULL, 0, 0,
		                "step %zu (%s) has %zu statements that must run outside a transaction; a Liquibase changeset with a body runs as one string",
		                os->number, s->title, s->up.len);
	}
	mm_buf_addf(out, "\n--changeset mkmig:%s", id);
	if (s->unit != MM_UNIT_TX)
		mm_buf_adds(out, " runInTransaction:false");
	if (strchr(up.buf, '$'))
		mm_buf_adds(out, " splitStatements:false");
	if (strchr(down.buf, '$'))
		mm_buf_adds(out, " rollbackSplitStatements:false");
	mm_buf_addf(out, "\n--comment: mkmig step %zu/%zu: %s\n", os->number, os->total, s->title);
	mm_buf_add(out, up.buf, up.len);
	prefixed(out, "--rollback ", down.buf, down.len);
	mm_buf_release(&up);
	mm_buf_release(&down);
	return 0;
}

/* Append an include of file to the master changelog, in its own syntax. */
static void include_in_master(struct mm_layout_run *run, const char *file)
{
	struct mm_arena *a = &run->ctx->arena;
	for (size_t k = 0; k < MM_ARRAY_LEN(masters); k++) {
		const char *path = mm_sprintf(a, "%s/%s", run->dir, masters[k]);
		char *text;
		size_t len;
		if (mm_read_file(path, &text, &len, 1 << 24) != 0)
			continue;
		struct mm_buf b = MM_BUF_INIT;
		if (strstr(masters[k], ".xml")) {
			/* The include goes before the closing tag: the one edit inside the file. */
			char *end = strstr(text, "</databaseChangeLog>");
			if (end) {
				size_t head = (size_t)(end - text);
				mm_buf_addf(&b, "    <include file=\"%s\" relativeToChangelogFile=\"true\"/>\n%s", file, end);
				mm_layout_append(run, masters[k], text, head, &b);
			}
		} else {
			if (len && text[len - 1] != '\n')
				mm_buf_addch(&b, '\n');
			mm_buf_addf(&b, "  - include:\n      file: %s\n      relativeToChangelogFile: true\n", file);
			mm_layout_append(run, masters[k], text, len, &b);
		}
		mm_buf_release(&b);
		free(text);
		return;
	}
	mm_vec_push(a, &run->notes,
	            mm_sprintf(a, "note: no master changelog (db.changelog-master.yaml/.xml) in %s: include %s from yours", run->dir, file));
}

static int write(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n)
{
	struct mm_ctx *ctx = run->ctx;
	struct mm_arena *a = &ctx->arena;
	/* The file's number continues the changes/ directory's (a timestamp when it is empty). */
	struct mm_layout_run sub = *run;
	sub.existing = (struct mm_vec){ 0 };
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		if (!strncmp(name, "changes/", 8))
			mm_vec_push(a, &sub.existing, (void *)(name + 8));
	}
	const char *num;
	mm_layout_next_numbers(&sub, "", true, 1, &num);
	const char *file = mm_sprintf(a, "changes/%s_%s.sql", num, steps[0].desc);
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, "--liquibase formatted sql\n");
	for (size_t i = 0; i < n; i++)
		if (changeset(ctx, mm_sprintf(a, "%s-%zu-%s", num, steps[i].number, steps[i].desc), &steps[i], &b) != 0) {
			mm_buf_release(&b);
			return -1;
		}
	mm_layout_add(run, file, &b, true);
	mm_buf_release(&b);
	include_in_master(run, file);
	return 0;
}

/* The checksum of every changeset of the file, as Liquibase stores them, each with the
 * changeset's identity: "liquibase-md5:<author>:<id>=9:<md5>,...". The SQL of a changeset is its
 * lines other than the --changeset/--comment/--rollback directives. */
static const char *checksum(struct mm_arena *a, const char *path, const char *text, size_t len)
{
	(void)path;
	struct mm_buf out = MM_BUF_INIT, sql = MM_BUF_INIT;
	const char *id = NULL;
	for (size_t i = 0; i <= len;) {
		const char *line = text + i;
		const char *nl = i < len ? memchr(line, '\n', len - i) : NULL;
		size_t n = i < len ? (nl ? (size_t)(nl - line) : len - i) : 0;
		bool start = i < len && !strncmp(line, "--changeset", 11);
		if ((start || i >= len) && id) {
			mm_buf_addf(&out, "%s%s=%s", out.len ? "," : "liquibase-md5:", id, mm_liquibase_checksum(a, sql.buf, sql.len));
			mm_buf_reset(&sql);
		}
		if (i >= len)
			break;
		if (start) {
			/* author:id, the first word after the directive (no ',' or '=' in what mkmig writes;
			 * an edited one is replaced so the list stays parseable) */
			size_t k = 11;
			while (k < n && (line[k] == ' ' || line[k] == '\t'))
				k++;
			size_t e = k;
			while (e < n && line[e] != ' ' && line[e] != '\t' && line[e] != '\r')
				e++;
			char *w = mm_strndup(a, line + k, e - k);
			for (char *c = w; *c; c++)
				if (*c == ',' || *c == '=')
					*c = '_';
			id = *w ? w : "?";
		} else if (id && strncmp(line, "--rollback", 10) && strncmp(line, "--comment", 9)) {
			mm_buf_add(&sql, line, n);
			mm_buf_addch(&sql, '\n');
		}
		i += n + 1;
	}
	const char *r = out.len ? mm_buf_arena(&out, a) : NULL;
	mm_buf_release(&out);
	mm_buf_release(&sql);
	return r;
}

/* The sum recorded for changeset id in a checksum() list, or NULL. */
static const char *sum_of(struct mm_arena *a, const char *list, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = list; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, id, n) && p[n] == '=') {
			const char *v = p + n + 1;
			return mm_strndup(a, v, strcspn(v, ","));
		}
	return NULL;
}

/* What Liquibase makes of an edit, changeset by changeset (it validates each applied changeset's
 * MD5, identified by author:id and the changelog path). Returns the changesets it would reject. */
static size_t diff(struct mm_arena *a, const char *recorded, const char *now, struct mm_buf *out)
{
	size_t rejected = 0, said = out->len;
	recorded += strlen("liquibase-md5:");
	now = now ? now + strlen("liquibase-md5:") : "";
	for (const char *p = recorded; *p; p += strcspn(p, ","), p += *p == ',') {
		const char *eq = memchr(p, '=', strcspn(p, ","));
		if (!eq)
			continue; /* a manifest without identities: the whole-file line says it */
		const char *id = mm_strndup(a, p, (size_t)(eq - p));
		const char *was = mm_strndup(a, eq + 1, strcspn(eq + 1, ","));
		const char *is = sum_of(a, now, id);
		if (!is)
			mm_buf_addf(out, "  changeset %s: removed; Liquibase keeps it applied and never runs its rollback from this file\n", id);
		else if (strcmp(is, was)) {
			mm_buf_addf(out, "  changeset %s: Liquibase rejects it if it was applied: checksum mismatch (recorded %s, now %s)\n",
			            id, was, is);
			rejected++;
		}
	}
	for (const char *p = now; *p; p += strcspn(p, ","), p += *p == ',') {
		const char *eq = memchr(p, '=', strcspn(p, ","));
		if (!eq)
			continue;
		const char *id = mm_strndup(a, p, (size_t)(eq - p));
		if (!sum_of(a, recorded, id))
			mm_buf_addf(out, "  changeset %s: new to Liquibase (a changed id or author makes it run again)\n", id);
	}
	if (out->len == said)
		mm_buf_adds(out, "  Liquibase's checksums are unchanged (only whitespace or directives differ)\n");
	return rejected;
}

const struct mm_layout mm_layout_liquibase = {
	.name = "liquibase",
	.runner_sum = "liquibase-md5",
	.detect = detect,
	.write = write,
	.checksum = checksum,
	.diff = diff,
};
