/*
 * dir_mkmig.c — what the --dir loader does with files mkmig wrote itself. Their DDL sits inside
 * retry calls and DO blocks (strings the model cannot read), so a directory mkmig wrote into
 * would hide its own changes from the next run. mkmig.sum (src/emit/manifest.c) records each
 * run's naive statements and its first up file: that file is replayed as those statements, and
 * mkmig's other files are skipped. The model then shows every recorded change complete, pending
 * contract phases included, which is the schema the next change must be planned against.
 */
#include "model_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST "mkmig.sum"
/* How far above a script its migrations directory's root may be (sqitch: deploy/, plain: up/). */
#define MAX_UP 2

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

/* The manifest's line "<key>\t<rel>\t..." for this file, or NULL; *rest points after "<rel>\t". */
static const char *find_line(const char *text, const char *key, const char *rel, const char **rest)
{
	size_t kn = strlen(key), rn = strlen(rel);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, kn) && l[kn] == '\t' && !strncmp(l + kn + 1, rel, rn) && l[kn + 1 + rn] == '\t') {
			*rest = l + kn + 1 + rn + 1;
			return l;
		}
	return NULL;
}

int mm_model_mkmig_substitute(struct mm_model *m, const char *path, struct mm_source **out)
{
	struct mm_arena *a = &m->ctx->arena;
	*out = NULL;
	/* Walk up from the script to the directory holding mkmig.sum. */
	const char *slash = strrchr(path, '/');
	size_t root = slash ? (size_t)(slash - path) : 0;
	for (int up = 0; up <= MAX_UP; up++) {
		const char *dir = root ? mm_strndup(a, path, root) : ".";
		char *text;
		size_t len;
		if (mm_read_file(mm_sprintf(a, "%s/%s", dir, MANIFEST), &text, &len, (size_t)64 << 20) == 0) {
			const char *rel = path + (root ? root + 1 : 0), *rest;
			int rc = 0;
			if (find_line(text, "run", rel, &rest)) {
				const char *eol = strchr(rest, '\n');
				char *sql = unescape(a, rest, eol ? (size_t)(eol - rest) : strlen(rest));
				*out = mm_source_new(a, mm_sprintf(a, "%s (the statements mkmig compiled it from, %s/%s)", path, dir, MANIFEST),
				                     sql, strlen(sql));
				rc = 2;
			} else if (find_line(text, "file", rel, &rest))
				rc = 1;
			free(text);
			return rc;
		}
		if (!root)
			break;
		const char *p = path + root;
		while (p > path && p[-1] != '/')
			p--;
		root = p > path ? (size_t)(p - path - 1) : 0;
		if (p == path)
			break;
	}
	return 0;
}
