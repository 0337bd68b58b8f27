/*
 * layout_directives.c — lines a runner reads as its own before any SQL parser sees the file.
 *
 * Liquibase, goose and dbmate read a migration line by line: a line shaped like one of their
 * directives is taken for one wherever it stands — inside a statement, in a comment of the
 * author's, in a dollar-quoted body — and silently ends a section, becomes a rollback, or splits
 * the file (formats.md §5, §6). mkmig keeps the author's statements with their comments, so such
 * a line is refused at its place in the input, and nothing is written.
 */
#define _GNU_SOURCE /* memmem */
#include "mkmig/layout.h"

#include <string.h>
#include <strings.h>

static size_t skip_blanks(const char *line, size_t i, size_t n)
{
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i;
}

/* Does line[i..n) start with word (any case), followed by a blank, ':' or the end of the line? */
static bool word_at(const char *line, size_t i, size_t n, const char *word)
{
	size_t w = strlen(word);
	if (i + w > n || strncasecmp(line + i, word, w))
		return false;
	char next = i + w < n ? line[i + w] : ' ';
	return word[w - 1] == '-' || next == ' ' || next == '\t' || next == ':' || next == '\r';
}

/* Liquibase formatted SQL: `\s*--\s*<directive>` (its parser's patterns, case-insensitive), and a
 * rollback block: a block comment opening with the words liquibase rollback. */
static const char *liquibase(const char *line, size_t n)
{
	static const char *const words[] = {
		"changeset", "rollback", "comment", "preconditions", "precondition-",
		"validchecksum", "ignorelines", "property", "include",
	};
	size_t i = skip_blanks(line, 0, n);
	if (i + 1 < n && line[i] == '/' && line[i + 1] == '*') {
		i = skip_blanks(line, i + 2, n);
		return word_at(line, i, n, "liquibase") && word_at(line, skip_blanks(line, i + 9, n), n, "rollback")
		               ? "/* liquibase rollback"
		               : NULL;
	}
	if (!(i + 1 < n && line[i] == '-' && line[i + 1] == '-'))
		return NULL;
	i = skip_blanks(line, i + 2, n);
	for (size_t k = 0; k < MM_ARRAY_LEN(words); k++)
		if (word_at(line, i, n, words[k]))
			return words[k];
	return NULL;
}

/* goose: an annotation is `-- +goose ...` at the start of its line (case-insensitive). */
static const char *goose(const char *line, size_t n)
{
	if (n < 2 || line[0] != '-' || line[1] != '-')
		return NULL;
	size_t i = skip_blanks(line, 2, n);
	return i < n && line[i] == '+' && word_at(line, i + 1, n, "goose") ? "+goose" : NULL;
}

/* dbmate: `^--\s*migrate:(up|down)` splits the file into its sections. */
static const char *dbmate(const char *line, size_t n)
{
	if (n < 2 || line[0] != '-' || line[1] != '-')
		return NULL;
	size_t i = skip_blanks(line, 2, n);
	if (i + 8 > n || strncasecmp(line + i, "migrate:", 8))
		return NULL;
	return word_at(line, i + 8, n, "up") ? "migrate:up" : word_at(line, i + 8, n, "down") ? "migrate:down" : NULL;
}

const struct mm_directives mm_directives_liquibase = { "Liquibase", liquibase };
const struct mm_directives mm_directives_goose = { "goose", goose };
const struct mm_directives mm_directives_dbmate = { "dbmate", dbmate };

/* The error, at the line in the author's statement when it is found there (mkmig's own lines
 * never start with a directive word). */
static int refuse(struct mm_ctx *ctx, const struct mm_out_step *os, const struct mm_directives *d, const char *line,
                  size_t n, const char *what)
{
	const struct mm_stmt *st = os->step->change ? os->step->change->stmt : NULL;
	size_t off = st ? st->off : 0, len = st ? st->len : 0;
	const char *at = st && n ? memmem(st->src->text + st->off, st->len, line, n) : NULL;
	if (at) {
		off = (size_t)(at - st->src->text);
		len = n;
		while (len && (st->src->text[off] == ' ' || st->src->text[off] == '\t'))
			off++, len--;
	}
	return mm_error_hint(ctx, st ? st->src : NULL, off, len,
	                     "reword the comment so that it does not start that way, or put it after code on its line",
	                     "step %zu: %s would read this line as its '%s%s' directive, not as SQL", os->number,
	                     d->runner, what[0] == '/' ? "" : "-- ", what);
}

int mm_layout_refuse_directives(struct mm_ctx *ctx, const struct mm_out_step *os, const struct mm_directives *d)
{
	const struct mm_vec *parts[] = { &os->step->up, &os->step->down };
	for (size_t p = 0; p < MM_ARRAY_LEN(parts); p++)
		for (size_t k = 0; k < parts[p]->len; k++) {
			const char *sql = mm_vec_at(parts[p], k);
			for (const char *line = sql; *line;) {
				size_t n = strcspn(line, "\n");
				const char *what = d->match(line, n);
				if (what)
					return refuse(ctx, os, d, line, n, what);
				line += n + (line[n] == '\n');
			}
		}
	return 0;
}
