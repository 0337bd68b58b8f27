/*
 * runner.c — which migration tool runs a file, and whether it wraps the file in a transaction.
 * Layouts and switches: shared/formats.md §1 (Flyway .sql.conf executeInTransaction, golang-migrate
 * one string per file, dbmate '-- migrate:up transaction:false', diesel metadata.toml
 * run_in_transaction, sqitch psql -f).
 */
#include "mkmig/check.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const runner_names[] = {
	[MM_RUNNER_PLAIN] = "psql",
	[MM_RUNNER_FLYWAY] = "Flyway",
	[MM_RUNNER_GOLANG] = "golang-migrate",
	[MM_RUNNER_DBMATE] = "dbmate",
	[MM_RUNNER_DIESEL] = "diesel",
	[MM_RUNNER_SQITCH] = "sqitch",
};
_Static_assert(MM_ARRAY_LEN(runner_names) == MM_RUNNER__COUNT, "every runner has a name");

const char *mm_runner_name(enum mm_runner r)
{
	return runner_names[r];
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A settings file's text with blanks removed and lower-cased, so "run_in_transaction = false"
 * and "executeInTransaction=false" are found however they are spaced. */
static char *squeezed(struct mm_ctx *ctx, const char *path)
{
	char *text;
	size_t len;
	if (access(path, R_OK) != 0 || mm_read_file(path, &text, &len, (size_t)1 << 20) != 0)
		return NULL;
	char *out = mm_alloc(&ctx->arena, len + 1), *o = out;
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '"' && text[i] != '\'')
			*o++ = (char)tolower((unsigned char)text[i]);
	*o = '\0';
	free(text);
	return out;
}

static bool flyway_name(const char *name)
{
	if (name[0] != 'V' && name[0] != 'v')
		return false;
	return strstr(name, "__") && ends_with(name, ".sql") && isdigit((unsigned char)name[1]);
}

void mm_check_runner_detect(struct mm_ctx *ctx, const char *path, const struct mm_source *src,
                            struct mm_check_runner *out)
{
	memset(out, 0, sizeof(*out));
	const char *name = base_name(path);
	if (flyway_name(name)) {
		out->kind = MM_RUNNER_FLYWAY;
		const char *conf = mm_sprintf(&ctx->arena, "%s.conf", path);
		const char *t = squeezed(ctx, conf);
		if (t && strstr(t, "executeintransaction=false")) {
			out->non_tx = true;
			out->setting = conf;
		}
		return;
	}
	if (ends_with(name, ".up.sql") && isdigit((unsigned char)name[0])) {
		out->kind = MM_RUNNER_GOLANG;
		return;
	}
	if (strcmp(name, "up.sql") == 0 && name != path) {
		/* diesel: <version>_<name>/up.sql */
		const char *dir = mm_strndup(&ctx->arena, path, (size_t)(name - path - 1));
		if (isdigit((unsigned char)*base_name(dir))) {
			out->kind = MM_RUNNER_DIESEL;
			const char *meta = mm_sprintf(&ctx->arena, "%s/metadata.toml", dir);
			const char *t = squeezed(ctx, meta);
			if (t && strstr(t, "run_in_transaction=false")) {
				out->non_tx = true;
				out->setting = meta;
			}
			return;
		}
	}
	const char *up = src ? strstr(src->text, "-- migrate:up") : NULL;
	if (up) {
		out->kind = MM_RUNNER_DBMATE;
		const char *eol = strchr(up, '\n');
		size_t n = eol ? (size_t)(eol - up) : strlen(up);
		const char *line = mm_strndup(&ctx->arena, up, n);
		if (strstr(line, "transaction:false")) {
			out->non_tx = true;
			out->setting = "its '-- migrate:up transaction:false' line";
		}
		return;
	}
	if (strstr(path, "deploy/")) {
		out->kind = MM_RUNNER_SQITCH;
		return;
	}
	out->kind = MM_RUNNER_PLAIN;
}
