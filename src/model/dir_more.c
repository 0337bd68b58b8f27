/*
 * dir_more.c — the --dir loader for goose, Liquibase formatted SQL and mkmig's plain layout
 * (dir.c reads Flyway, golang-migrate, dbmate, sqitch and diesel and calls this when none of
 * those fit). Each replays the up SQL in the order its runner applies it:
 *
 *  - goose (pressly/goose v3 migrate.go, internal/sqlparser): every *.sql file of the top
 *    directory, "<int64 > 0>_<name>.sql" (goose refuses any other *.sql name), by version. An
 *    annotation is a line starting "--" holding "+goose"; its word is case-insensitive. Only the
 *    Up section runs up; StatementBegin/End and NO TRANSACTION change how, not what.
 *  - Liquibase: the master changelog's include/includeAll entries in order (includeAll: file
 *    names sorted), nested YAML/XML changelogs followed; a formatted SQL file replays its
 *    changesets (the --changeset/--rollback/--comment lines are SQL comments already; a
 *    changeset for another dbms is skipped, as Liquibase skips it on PostgreSQL).
 *  - plain: up/<N>_<name>.sql by number (down/ never replays).
 * Files mkmig wrote are replayed as the statements mkmig.sum recorded (dir_mkmig.c).
 */
#include "model_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_INCLUDE_DEPTH 16

struct file {
	const char *path;
	const char *num;   /* leading digits without leading zeros, for (length, text) order */
};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *join(struct mm_arena *a, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	return mm_sprintf(a, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && mm_strcaseeq(s + n - k, suffix);
}

static int cmp_file(const void *pa, const void *pb)
{
	const struct file *x = *(const struct file *const *)pa, *y = *(const struct file *const *)pb;
	size_t nx = strlen(x->num), ny = strlen(y->num);
	if (nx != ny)
		return nx < ny ? -1 : 1;
	int c = strcmp(x->num, y->num);
	return c ? c : strcmp(x->path, y->path);
}

static int cmp_str(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* The names in dir (files and directories), sorted; NULL when it cannot be read. */
static struct mm_vec *list_dir(struct mm_arena *a, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct mm_vec *v = mm_alloc(a, sizeof(*v));
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			mm_vec_push(a, v, (void *)mm_strdup(a, e->d_name));
	closedir(d);
	if (v->len > 1)
		qsort(v->items, v->len, sizeof(v->items[0]), cmp_str);
	return v;
}

/* Replay one script: mkmig's own files as their recorded statements, the rest through keep()
 * (which may blank what the runner does not run up), NULL keep: as is. */
static int replay(struct mm_model *m, const char *path, struct mm_source *(*keep)(struct mm_ctx *, struct mm_source *))
{
	struct mm_source *naive;
	switch (mm_model_mkmig_substitute(m, path, &naive)) {
	case 1:
		return 0;
	case 2:
		return mm_model_load_source(m, naive);
	default:
		break;
	}
	struct mm_source *src = mm_sql_read(m->ctx, path);
	if (!src)
		return -1;
	if (keep && !(src = keep(m->ctx, src)))
		return -1;
	return mm_model_load_source(m, src);
}

/* Blank [from, to) keeping line breaks, so positions in messages stay those of the file. */
static void blank(char *from, const char *to)
{
	for (char *p = from; p < to; p++)
		if (*p != '\n')
			*p = ' ';
}

static struct mm_source *copy_source(struct mm_ctx *ctx, const struct mm_source *src, char **text)
{
	*text = mm_strndup(&ctx->arena, src->text, src->len);
	return mm_source_new(&ctx->arena, src->name, *text, src->len);
}

/* --- goose ------------------------------------------------------------------------------------ */

/* The goose annotation of the line [l, eol) ("up", "down", ...: lower case), or NULL. */
static const char *goose_annotation(struct mm_arena *a, const char *l, const char *eol)
{
	const char *p = l;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	const char *g = NULL;
	for (const char *q = p; q + 6 <= eol && !g; q++)
		if (!memcmp(q, "+goose", 6))
			g = q;
	if (!g)
		return NULL;
	const char *w = g + 6, *e = eol;
	while (w < e && (*w == ' ' || *w == '\t'))
		w++;
	while (e > w && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	char *word = mm_strndup(a, w, (size_t)(e - w));
	for (char *c = word; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return word;
}

static bool goose_has_up(struct mm_arena *a, const char *text, size_t len)
{
	for (const char *l = text, *end = text + len; l < end;) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		if (!eol)
			eol = end;
		const char *w = goose_annotation(a, l, eol);
		if (w && !strcmp(w, "up"))
			return true;
		l = eol + 1;
	}
	return false;
}

/* Only the Up sections: everything else (before the first Up, each Down) is blanked. */
static struct mm_source *goose_up(struct mm_ctx *ctx, struct mm_source *src)
{
	char *text;
	struct mm_source *out = copy_source(ctx, src, &text);
	char *end = text + src->len, *cut = text;
	bool up = false, any = false;
	for (char *l = text; l < end;) {
		char *eol = memchr(l, '\n', (size_t)(end - l));
		if (!eol)
			eol = end;
		const char *w = goose_annotation(&ctx->arena, l, eol);
		if (w && (!strcmp(w, "up") || !strcmp(w, "down"))) {
			bool now_up = !strcmp(w, "up");
			if (!up)
				blank(cut, l);
			if (now_up && !up)
				any = true;
			up = now_up;
			cut = l;
		}
		l = eol + 1;
	}
	if (!up)
		blank(cut, end);
	if (!any) {
		mm_error_hint(ctx, src, 0, 0, "goose runs a file from its '-- +goose Up' line",
		              "goose migration without a '-- +goose Up' annotation");
		return NULL;
	}
	return out;
}

/* goose's NumericComponent: digits before the first '_', a positive int64. */
static const char *goose_version(struct mm_arena *a, const char *name)
{
	const char *us = strchr(name, '_');
	if (!us || us == name || us - name > 19)
		return NULL;
	for (const char *p = name; p < us; p++)
		if (*p < '0' || *p > '9')
			return NULL;
	const char *d = name;
	while (d < us && *d == '0')
		d++;
	if (d == us || (us - d == 19 && strncmp(d, "9223372036854775807", 19) > 0))
		return NULL;
	return mm_strndup(a, d, (size_t)(us - d));
}

/* 1 when dir looks like goose's (a top-level *.sql with a '+goose Up' annotation). */
static int goose_detect(struct mm_ctx *ctx, const char *dir, const struct mm_vec *names)
{
	for (size_t i = 0; i < names->len; i++) {
		const char *name = mm_vec_at(names, i), *path = join(&ctx->arena, dir, name);
		char *text;
		size_t len;
		if (!has_suffix(name, ".sql") || !is_file(path) || mm_read_file(path, &text, &len, MM_MAX_INPUT_BYTES) != 0)
			continue;
		bool up = goose_has_up(&ctx->arena, text, len);
		free(text);
		if (up)
			return 1;
	}
	return 0;
}

static int load_goose(struct mm_model *m, const char *dir, const struct mm_vec *names)
{
	struct mm_ctx *ctx = m->ctx;
	struct mm_arena *a = &ctx->arena;
	struct mm_vec files = { 0 };
	for (size_t i = 0; i < names->len; i++) {
		const char *name = mm_vec_at(names, i), *path = join(a, dir, name);
		if (has_suffix(name, ".go") && is_file(path) && !has_suffix(name, "_test.go"))
			mm_warn(ctx, NULL, 0, 0, "'%s': a goose Go migration; mkmig reads only the SQL ones", path);
		if (!has_suffix(name, ".sql") || !is_file(path))
			continue;
		struct file *f = mm_alloc(a, sizeof(*f));
		f->path = path;
		f->num = goose_version(a, name);
		if (!f->num)
			return mm_error_hint(ctx, NULL, 0, 0, "goose names a migration <version>_<name>.sql, the version a number above 0",
			                     "'%s': goose refuses this file name (it reads every *.sql file of the directory)", path);
		mm_vec_push(a, &files, f);
	}
	if (files.len > 1)
		qsort(files.items, files.len, sizeof(files.items[0]), cmp_file);
	for (size_t i = 1; i < files.len; i++) {
		const struct file *x = mm_vec_at(&files, i - 1), *y = mm_vec_at(&files, i);
		if (!strcmp(x->num, y->num))
			return mm_error_hint(ctx, NULL, 0, 0, "renumber one of them",
			                     "found more than one goose migration with version %s: '%s' and '%s'", y->num,
			                     x->path, y->path);
	}
	for (size_t i = 0; i < files.len; i++)
		if (replay(m, ((const struct file *)mm_vec_at(&files, i))->path, goose_up) != 0)
			return -1;
	return 0;
}

/* --- plain ------------------------------------------------------------------------------------ */

static int load_plain(struct mm_model *m, const char *up, const struct mm_vec *names)
{
	struct mm_arena *a = &m->ctx->arena;
	struct mm_vec files = { 0 };
	for (size_t i = 0; i < names->len; i++) {
		const char *name = mm_vec_at(names, i);
		size_t n = strspn(name, "0123456789");
		if (!n || !has_suffix(name, ".sql"))
			continue;
		struct file *f = mm_alloc(a, sizeof(*f));
		f->path = join(a, up, name);
		while (n > 0 && *name == '0')
			name++, n--;
		f->num = mm_strndup(a, name, n);
		mm_vec_push(a, &files, f);
	}
	if (files.len > 1)
		qsort(files.items, files.len, sizeof(files.items[0]), cmp_file);
	for (size_t i = 0; i < files.len; i++)
		if (replay(m, ((const struct file *)mm_vec_at(&files, i))->path, NULL) != 0)
			return -1;
	return 0;
}

static bool plain_detect(const struct mm_vec *names)
{
	for (size_t i = 0; names && i < names->len; i++) {
		const char *name = mm_vec_at(names, i);
		if (name[0] >= '0' && name[0] <= '9' && has_suffix(name, ".sql"))
			return true;
	}
	return false;
}

/* --- Liquibase -------------------------------------------------------------------------------- */

static const char *const lb_masters[] = {
	"db.changelog-master.yaml", "db.changelog-master.yml", "db.changelog-master.xml",
	"changelog.yaml", "changelog.yml", "changelog.xml",
};

static bool lb_formatted(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
		text++;
	if (strncmp(text, "--", 2))
		return false;
	text += 2;
	while (*text == ' ' || *text == '\t')
		text++;
	if (strncasecmp(text, "liquibase", 9))
		return false;
	text += 9;
	while (*text == ' ' || *text == '\t')
		text++;
	return !strncasecmp(text, "formatted", 9);
}

/* The value of attr on a --changeset line ("dbms:postgresql,h2"), or NULL. */
static const char *lb_attr(struct mm_arena *a, const char *l, const char *eol, const char *attr)
{
	size_t k = strlen(attr);
	for (const char *p = l; p + k < eol; p++)
		if ((p == l || p[-1] == ' ' || p[-1] == '\t') && !strncasecmp(p, attr, k) && p[k] == ':') {
			const char *v = p + k + 1, *e = v;
			while (e < eol && *e != ' ' && *e != '\t' && *e != '\r')
				e++;
			return mm_strndup(a, v, (size_t)(e - v));
		}
	return NULL;
}

/* Liquibase's dbms filter: a list of names, "!" negating, "all"/"none". */
static bool lb_runs_on_pg(const char *dbms)
{
	if (!dbms || !*dbms)
		return true;
	bool any_positive = false, hit = false;
	for (const char *p = dbms; *p;) {
		size_t n = strcspn(p, ",");
		bool neg = *p == '!';
		const char *w = p + neg;
		size_t wn = n - neg;
		bool pg = (wn == 10 && !strncasecmp(w, "postgresql", 10)) || (wn == 3 && !strncasecmp(w, "all", 3));
		if (neg && pg)
			return false;
		if (!neg) {
			any_positive = true;
			hit = hit || pg;
		}
		p += n + (p[n] == ',');
	}
	return !any_positive || hit;
}

/* The changesets: text before the first one and the changesets for another dbms are blanked. */
static struct mm_source *lb_sql(struct mm_ctx *ctx, struct mm_source *src)
{
	char *text;
	struct mm_source *out = copy_source(ctx, src, &text);
	if (!lb_formatted(text))
		return out; /* a plain .sql include: Liquibase runs the file as one changeset */
	char *end = text + src->len, *cut = text;
	bool keep = false;
	for (char *l = text; l < end;) {
		char *eol = memchr(l, '\n', (size_t)(end - l));
		if (!eol)
			eol = end;
		const char *p = l;
		if (!strncmp(p, "--", 2)) {
			p += 2;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t)(eol - p) > 9 && !strncasecmp(p, "changeset", 9) && (p[9] == ' ' || p[9] == '\t')) {
				if (!keep)
					blank(cut, l);
				keep = lb_runs_on_pg(lb_attr(&ctx->arena, p, eol, "dbms"));
				cut = l;
			}
		}
		l = eol + 1;
	}
	if (!keep)
		blank(cut, end);
	return out;
}

/* The value after key in a YAML line ("  - include: {file: x}" or "    file: x"), unquoted. */
static const char *yaml_value(struct mm_arena *a, const char *l, const char *eol, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = l; p + k < eol; p++) {
		if (strncmp(p, key, k) || p[k] != ':' || (p > l && p[-1] != ' ' && p[-1] != '{' && p[-1] != '-' && p[-1] != ','))
			continue;
		const char *v = p + k + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		const char *e = v;
		char q = (*v == '"' || *v == '\'') ? *v : 0;
		if (q) {
			v++;
			e = memchr(v, q, (size_t)(eol - v));
			if (!e)
				return NULL;
		} else {
			while (e < eol && *e != ',' && *e != '}' && *e != '#' && *e != '\r')
				e++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
		}
		return e > v ? mm_strndup(a, v, (size_t)(e - v)) : NULL;
	}
	return NULL;
}

/* The attribute of an XML tag starting at tag ("file" of <include file="x"/>). */
static const char *xml_attr(struct mm_arena *a, const char *tag, const char *attr)
{
	const char *close = strchr(tag, '>');
	size_t k = strlen(attr);
	for (const char *p = tag + 1; close && p + k + 2 < close; p++)
		if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && !strncmp(p, attr, k) && p[k] == '=' &&
		    (p[k + 1] == '"' || p[k + 1] == '\'')) {
			const char *v = p + k + 2, *e = strchr(v, p[k + 1]);
			return e ? mm_strndup(a, v, (size_t)(e - v)) : NULL;
		}
	return NULL;
}

static int lb_changelog(struct mm_model *m, const char *path, int depth);

/* One include entry; relative paths resolve from the changelog's directory (relativeToChangelogFile,
 * and the search path when the master sits at its root, as it usually does). */
static int lb_include(struct mm_model *m, const char *base, const struct mm_source *log, size_t off,
                      const char *file, bool all, int depth)
{
	struct mm_ctx *ctx = m->ctx;
	struct mm_arena *a = &ctx->arena;
	const char *path = file[0] == '/' ? file : join(a, base, file);
	if (all) {
		struct mm_vec *names = list_dir(a, path);
		if (!names)
			return mm_error(ctx, log, off, strlen(file), "includeAll '%s': %s", path, strerror(errno));
		for (size_t i = 0; i < names->len; i++) {
			const char *name = mm_vec_at(names, i);
			if ((has_suffix(name, ".sql") || has_suffix(name, ".yaml") || has_suffix(name, ".yml") || has_suffix(name, ".xml")) &&
			    lb_include(m, path, log, off, name, false, depth) != 0)
				return -1;
		}
		return 0;
	}
	if (!is_file(path))
		return mm_error(ctx, log, off, strlen(file), "included changelog '%s' not found", path);
	if (has_suffix(path, ".sql"))
		return replay(m, path, lb_sql);
	return lb_changelog(m, path, depth + 1);
}

/* A YAML or XML changelog: its include and includeAll entries, in order. */
static int lb_changelog(struct mm_model *m, const char *path, int depth)
{
	struct mm_ctx *ctx = m->ctx;
	struct mm_arena *a = &ctx->arena;
	if (depth > MAX_INCLUDE_DEPTH)
		return mm_error(ctx, NULL, 0, 0, "'%s': changelogs include each other more than %d deep", path, MAX_INCLUDE_DEPTH);
	struct mm_source *log = mm_sql_read(ctx, path);
	if (!log)
		return -1;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? mm_strndup(a, path, (size_t)(slash - path)) : ".";
	const char *text = log->text, *end = text + log->len;
	if (has_suffix(path, ".xml")) {
		for (const char *p = text; (p = strstr(p, "<include")) != NULL; p++) {
			bool all = !strncmp(p, "<includeAll", 11);
			const char *v = xml_attr(a, p, all ? "path" : "file");
			if (v && lb_include(m, base, log, (size_t)(p - text), v, all, depth) != 0)
				return -1;
		}
		return 0;
	}
	bool all = false, in_include = false;
	for (const char *l = text; l < end;) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		if (!eol)
			eol = end;
		const char *t = l;
		while (t < eol && (*t == ' ' || *t == '\t' || *t == '-'))
			t++;
		if (!strncmp(t, "includeAll:", 11))
			in_include = true, all = true;
		else if (!strncmp(t, "include:", 8))
			in_include = true, all = false;
		else if (!strncmp(t, "changeSet:", 10)) {
			in_include = false;
			mm_warn(ctx, log, (size_t)(t - text), 9, "a changeSet in a YAML changelog: mkmig reads formatted SQL changelogs only");
		}
		const char *v = in_include ? yaml_value(a, l, eol, all ? "path" : "file") : NULL;
		if (v) {
			in_include = false;
			if (lb_include(m, base, log, (size_t)(l - text), v, all, depth) != 0)
				return -1;
		}
		l = eol + 1;
	}
	return 0;
}

/* --- entry point ------------------------------------------------------------------------------ */

int mm_model_load_dir_more(struct mm_model *m, const char *dir, bool *found)
{
	struct mm_ctx *ctx = m->ctx;
	struct mm_arena *a = &ctx->arena;
	*found = true;
	for (size_t i = 0; i < MM_ARRAY_LEN(lb_masters); i++) {
		const char *master = join(a, dir, lb_masters[i]);
		if (is_file(master))
			return lb_changelog(m, master, 0);
	}
	struct mm_vec *names = list_dir(a, dir);
	if (!names)
		return mm_error(ctx, NULL, 0, 0, "cannot read directory '%s': %s", dir, strerror(errno));
	const char *up = join(a, dir, "up");
	struct mm_vec *ups = is_dir(up) ? list_dir(a, up) : NULL;
	if (plain_detect(ups))
		return load_plain(m, up, ups);
	if (goose_detect(ctx, dir, names))
		return load_goose(m, dir, names);
	*found = false;
	return 0;
}
