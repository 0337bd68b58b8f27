/*
 * dir.c — builds the model from a migrations directory: detects which tool wrote it (Flyway,
 * golang-migrate, dbmate, sqitch, diesel; goose, Liquibase and plain in dir_more.c) from the file layout and replays the up scripts in the
 * order that tool would run them. Ordering rules follow each tool's source (shared/formats.md);
 * the statements themselves go through mm_model_load_source like any schema file.
 */
#include "model_internal.h"
#include "mkmig/check.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Flyway resolves locations recursively; a symlink loop must not hang us. */
#define MAX_SCAN_DEPTH 32

/* One migration script found in the directory. */
struct mig {
	const char *path;      /* dir-joined, as diagnostics show it */
	const char *name;      /* file name (diesel: the migration's directory name) */
	const char *version;   /* version as written (NULL: Flyway repeatable) */
	struct mm_vec parts;   /* const char *: numeric version parts, leading zeros stripped */
	const char *desc;      /* Flyway repeatable: description, '_' read as ' ' */
};

enum layout { L_FLYWAY, L_GOLANG, L_DBMATE, L_DIESEL, L_COUNT };

struct scan {
	struct mm_ctx *ctx;
	struct mm_vec found[L_COUNT];  /* struct mig * per layout */
	struct mm_vec repeatable;      /* Flyway R__ files, kept apart: they run after all V files */
	int rc;
};

static const char *const layout_name[L_COUNT] = {
	[L_FLYWAY] = "Flyway",
	[L_GOLANG] = "golang-migrate",
	[L_DBMATE] = "dbmate",
	[L_DIESEL] = "diesel",
};

static const char expected_shapes[] =
	"mkmig reads Flyway (V<version>__<description>.sql), golang-migrate "
	"(<version>_<title>.up.sql), dbmate (<version>_<name>.sql with a '-- migrate:up' line), "
	"sqitch (sqitch.plan and deploy/<change>.sql), diesel (<version>_<name>/up.sql), goose (<version>_<name>.sql "
	"with a '-- +goose Up' line), Liquibase (db.changelog-master.yaml/.xml) and plain (up/<N>_<name>.sql) directories";

static char *join_path(struct mm_arena *a, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	return mm_sprintf(a, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && mm_strcaseeq(s + n - k, suffix);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A run of digits without its leading zeros ("" for zero), so numbers of any size compare as
 * (length, text) — timestamps do not fit every tool's integer type, but all compare this way. */
static const char *digits_norm(struct mm_arena *a, const char *s, size_t n)
{
	while (n > 0 && *s == '0')
		s++, n--;
	return mm_strndup(a, s, n);
}

static int digits_cmp(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}

/* Part by part, a missing part counting as zero: Flyway's 1.0 == 1, 1.10 > 1.9. */
static int version_cmp(const struct mig *x, const struct mig *y)
{
	size_t n = x->parts.len > y->parts.len ? x->parts.len : y->parts.len;
	for (size_t i = 0; i < n; i++) {
		const char *a = i < x->parts.len ? mm_vec_at(&x->parts, i) : "";
		const char *b = i < y->parts.len ? mm_vec_at(&y->parts, i) : "";
		int c = digits_cmp(a, b);
		if (c != 0)
			return c;
	}
	return 0;
}

static int cmp_version(const void *pa, const void *pb)
{
	const struct mig *x = *(const struct mig *const *)pa, *y = *(const struct mig *const *)pb;
	int c = version_cmp(x, y);
	return c ? c : strcmp(x->path, y->path);
}

static int cmp_name(const void *pa, const void *pb)
{
	const struct mig *x = *(const struct mig *const *)pa, *y = *(const struct mig *const *)pb;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->path, y->path);
}

static int cmp_desc(const void *pa, const void *pb)
{
	const struct mig *x = *(const struct mig *const *)pa, *y = *(const struct mig *const *)pb;
	int c = strcmp(x->desc, y->desc);
	return c ? c : strcmp(x->path, y->path);
}

static void sort_migs(struct mm_vec *v, int (*cmp)(const void *, const void *))
{
	if (v->len > 1)
		qsort(v->items, v->len, sizeof(v->items[0]), cmp);
}

static struct mig *mig_new(struct scan *s, const char *path, const char *name)
{
	struct mig *g = mm_alloc(&s->ctx->arena, sizeof(*g));
	g->path = path;
	g->name = mm_strdup(&s->ctx->arena, name);
	return g;
}

/* Flyway's MigrationVersion: '_' reads as '.', every part digits only. Returns false when the
 * text is not a version (Flyway skips such names unless validateMigrationNaming is set). */
static bool flyway_parse_version(struct mm_arena *a, struct mig *g, const char *v, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && is_digit(v[i]))
			continue;
		if (i < n && v[i] != '.' && v[i] != '_')
			return false;
		if (i == start)
			return false;
		mm_vec_push(a, &g->parts, (void *)digits_norm(a, v + start, i - start));
		start = i + 1;
	}
	/* Trailing zero parts carry no weight: V1.0 and V1 are the same version. */
	while (g->parts.len > 0 && *(const char *)mm_vec_at(&g->parts, g->parts.len - 1) == '\0')
		g->parts.len--;
	return true;
}

static void classify_flyway(struct scan *s, const char *path, const char *name)
{
	struct mm_arena *a = &s->ctx->arena;
	if ((name[0] != 'V' && name[0] != 'R') || !ends_with_ci(name, ".sql"))
		return;
	const char *sep = strstr(name + 1, "__");
	if (!sep)
		return;
	size_t vlen = (size_t)(sep - (name + 1));
	const char *desc = sep + 2;
	size_t dlen = strlen(desc) - 4;
	if (name[0] == 'R' && vlen != 0)
		return; /* a repeatable takes no version: Flyway ignores the name */
	struct mig *g = mig_new(s, path, name);
	if (name[0] == 'R') {
		char *d = mm_strndup(a, desc, dlen);
		for (char *p = d; *p; p++)
			if (*p == '_')
				*p = ' ';
		g->desc = d;
		mm_vec_push(a, &s->repeatable, g);
		return;
	}
	g->version = mm_strndup(a, name + 1, vlen);
	if (!flyway_parse_version(a, g, name + 1, vlen)) {
		mm_warn(s->ctx, NULL, 0, 0, "ignoring '%s': \"%s\" is not a Flyway version (digits separated by '.' or '_')",
		        path, g->version);
		return;
	}
	mm_vec_push(a, &s->found[L_FLYWAY], g);
}

/* golang-migrate: ^([0-9]+)_(.*)\.up\.sql$ (the title may be empty). */
static bool classify_golang(struct scan *s, const char *path, const char *name)
{
	size_t n = strspn(name, "0123456789");
	if (n == 0 || name[n] != '_')
		return false;
	if (ends_with(name, ".down.sql"))
		return true; /* ours, but never replayed */
	if (!ends_with(name, ".up.sql"))
		return false;
	struct mig *g = mig_new(s, path, name);
	g->version = mm_strndup(&s->ctx->arena, name, n);
	mm_vec_push(&s->ctx->arena, &g->parts, (void *)digits_norm(&s->ctx->arena, name, n));
	mm_vec_push(&s->ctx->arena, &s->found[L_GOLANG], g);
	return true;
}

/* Start of the first line at or after `from` that is a dbmate directive `-- migrate:<word>`
 * followed by blanks or an option (dbmate's ^--\s*migrate:up(\s*$|\s+\S+)), or NULL. */
static const char *find_directive(const char *from, const char *end, const char *word)
{
	size_t wl = strlen(word);
	for (const char *line = from; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		const char *p = line;
		if (eol - p >= 2 && p[0] == '-' && p[1] == '-') {
			p += 2;
			while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
				p++;
			if ((size_t)(eol - p) >= 8 + wl && memcmp(p, "migrate:", 8) == 0 &&
			    memcmp(p + 8, word, wl) == 0 &&
			    (p + 8 + wl == eol || p[8 + wl] == ' ' || p[8 + wl] == '\t' || p[8 + wl] == '\r'))
				return line;
		}
		line = eol + 1;
	}
	return NULL;
}

/* dbmate: ^(\d+).*\.sql$ holding a `-- migrate:up` line. Reading the file here is the only way
 * to tell a dbmate migration from any other numbered SQL file. */
static void classify_dbmate(struct scan *s, const char *path, const char *name)
{
	size_t n = strspn(name, "0123456789");
	if (n == 0 || !ends_with(name, ".sql"))
		return;
	char *text;
	size_t len;
	if (mm_read_file(path, &text, &len, MM_MAX_INPUT_BYTES) != 0)
		return; /* not provably dbmate; if it is, the replay reports the read error */
	bool up = find_directive(text, text + len, "up") != NULL;
	free(text);
	if (!up)
		return;
	struct mig *g = mig_new(s, path, name);
	g->version = mm_strndup(&s->ctx->arena, name, n);
	mm_vec_push(&s->ctx->arena, &g->parts, (void *)digits_norm(&s->ctx->arena, name, n));
	mm_vec_push(&s->ctx->arena, &s->found[L_DBMATE], g);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void scan_dir(struct scan *s, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		s->rc = mm_error(s->ctx, NULL, 0, 0, "cannot read directory '%s': %s", dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		char *path = join_path(&s->ctx->arena, dir, name);
		if (is_dir(path)) {
			/* diesel: <version>_<name>/up.sql, only directly under the migrations dir */
			if (depth == 0 && is_file(join_path(&s->ctx->arena, path, "up.sql"))) {
				struct mig *g = mig_new(s, join_path(&s->ctx->arena, path, "up.sql"), name);
				mm_vec_push(&s->ctx->arena, &s->found[L_DIESEL], g);
			} else if (depth < MAX_SCAN_DEPTH) {
				scan_dir(s, path, depth + 1);
			}
			continue;
		}
		if (!is_file(path))
			continue;
		classify_flyway(s, path, name);
		/* golang-migrate and dbmate read only the top directory */
		if (depth == 0 && !classify_golang(s, path, name))
			classify_dbmate(s, path, name);
	}
	closedir(d);
}

/* Two files with the same version: every tool refuses to run them. */
static int check_duplicates(struct scan *s, enum layout l)
{
	struct mm_vec *v = &s->found[l];
	int rc = 0;
	for (size_t i = 1; i < v->len; i++) {
		struct mig *a = mm_vec_at(v, i - 1), *b = mm_vec_at(v, i);
		if (version_cmp(a, b) == 0)
			rc = mm_error_hint(s->ctx, NULL, 0, 0, "renumber one of them",
			                   "found more than one %s migration with version %s: '%s' and '%s'",
			                   layout_name[l], b->version, a->path, b->path);
	}
	if (l != L_FLYWAY)
		return rc;
	for (size_t i = 1; i < s->repeatable.len; i++) {
		struct mig *a = mm_vec_at(&s->repeatable, i - 1), *b = mm_vec_at(&s->repeatable, i);
		if (strcmp(a->desc, b->desc) == 0)
			rc = mm_error_hint(s->ctx, NULL, 0, 0, "rename one of them",
			                   "found more than one Flyway repeatable migration with description \"%s\": '%s' and '%s'",
			                   a->desc, a->path, b->path);
	}
	return rc;
}

/* The migration with the smallest path, so the file named in a message does not depend on
 * readdir order. */
static const struct mig *first_by_path(const struct mm_vec *v)
{
	const struct mig *best = NULL;
	for (size_t i = 0; i < v->len; i++) {
		const struct mig *g = mm_vec_at(v, i);
		if (!best || strcmp(g->path, best->path) < 0)
			best = g;
	}
	return best;
}

/* dbmate keeps the down section in the same file. Down sections are blanked (newlines kept) so
 * the replay sees only up SQL while every error keeps its line and column; a trailing down
 * section is cut off. */
static struct mm_source *dbmate_up_source(struct mm_ctx *ctx, struct mm_source *file)
{
	char *text = mm_strndup(&ctx->arena, file->text, file->len);
	const char *end = text + file->len;
	size_t len = file->len;
	const char *up = find_directive(text, end, "up");
	while (up) {
		char *down = (char *)find_directive(up, end, "down");
		if (!down)
			break;
		up = find_directive(down, end, "up");
		if (!up) {
			len = (size_t)(down - text);
			break;
		}
		for (char *p = down; p < up; p++)
			if (*p != '\n')
				*p = ' ';
	}
	text[len] = '\0';
	return mm_source_new(&ctx->arena, file->name, text, len);
}

static int replay(struct mm_model *m, const char *path, bool dbmate)
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
	if (dbmate)
		src = dbmate_up_source(m->ctx, src);
	return mm_model_load_source(m, src);
}

/* Each script builds on the ones before it: after a failed one, the rest would only report
 * consequences of the first error. */
static int replay_all(struct mm_model *m, const struct mm_vec *v, bool dbmate)
{
	for (size_t i = 0; i < v->len; i++) {
		const struct mig *g = mm_vec_at(v, i);
		if (replay(m, g->path, dbmate) != 0)
			return -1;
	}
	return 0;
}

/* --- sqitch ---------------------------------------------------------------------------------- */

struct plan_line {
	bool tag;
	const char *name;   /* change or tag name (a change name may hold '/': subdirectories) */
	size_t off, len;    /* of the name in sqitch.plan, for diagnostics */
};

static void sqitch_parse_plan(struct mm_ctx *ctx, struct mm_source *plan, struct mm_vec *out)
{
	const char *text = plan->text, *end = text + plan->len;
	for (const char *line = text; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		const char *p = line;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		const char *next = eol + 1;
		if (p == eol || *p == '\r' || *p == '%' || *p == '#') {
			line = next;
			continue;
		}
		struct plan_line *pl = mm_alloc(&ctx->arena, sizeof(*pl));
		if (*p == '@') {
			pl->tag = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			p++; /* old deploy/revert marker; sqitch add never writes it */
		}
		const char *q = p;
		while (q < eol && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		pl->name = mm_strndup(&ctx->arena, p, (size_t)(q - p));
		pl->off = (size_t)(p - text);
		pl->len = (size_t)(q - p);
		mm_vec_push(&ctx->arena, out, pl);
		line = next;
	}
}

/* Script of the change at lines[i]. When the change is reworked later in the plan, this
 * instance's script is deploy/<name>@<tag>.sql for the first tag between it and its next
 * occurrence whose file exists (sqitch's Change::path_segments); otherwise the plain name. */
static const char *sqitch_script(struct mm_ctx *ctx, struct mm_source *plan, const struct mm_vec *lines,
                                 size_t i, const char *deploy)
{
	const struct plan_line *c = mm_vec_at(lines, i);
	size_t next = i + 1;
	while (next < lines->len) {
		const struct plan_line *l = mm_vec_at(lines, next);
		if (!l->tag && strcmp(l->name, c->name) == 0)
			break;
		next++;
	}
	if (next == lines->len)
		return mm_sprintf(&ctx->arena, "%s/%s.sql", deploy, c->name);
	const char *first = NULL;
	for (size_t j = i + 1; j < next; j++) {
		const struct plan_line *l = mm_vec_at(lines, j);
		if (!l->tag)
			continue;
		char *path = mm_sprintf(&ctx->arena, "%s/%s@%s.sql", deploy, c->name, l->name);
		if (is_file(path))
			return path;
		if (!first)
			first = path;
	}
	if (!first)
		mm_error_hint(ctx, plan, c->off, c->len, "sqitch rework puts a tag between the two",
		              "change \"%s\" appears again in the plan without a tag in between", c->name);
	return first;
}

static int load_sqitch(struct mm_model *m, const char *dir, const char *plan_path)
{
	struct mm_ctx *ctx = m->ctx;
	struct mm_source *plan = mm_sql_read(ctx, plan_path);
	if (!plan)
		return -1;
	struct mm_vec lines = { 0 };
	sqitch_parse_plan(ctx, plan, &lines);
	const char *deploy = join_path(&ctx->arena, dir, "deploy");
	for (size_t i = 0; i < lines.len; i++) {
		const struct plan_line *c = mm_vec_at(&lines, i);
		if (c->tag)
			continue;
		const char *script = sqitch_script(ctx, plan, &lines, i, deploy);
		if (!script)
			return -1;
		if (!is_file(script))
			return mm_error_hint(ctx, plan, c->off, c->len,
			                     "mkmig reads the default layout: the plan's directory holds deploy/",
			                     "deploy script '%s' of change \"%s\" not found", script, c->name);
		if (replay(m, script, false) != 0)
			return -1;
	}
	return 0;
}

/* --- entry point ----------------------------------------------------------------------------- */

int mm_model_load_dir(struct mm_model *m, const char *dir)
{
	struct mm_ctx *ctx = m->ctx;
	struct stat st;
	if (stat(dir, &st) != 0)
		return mm_error(ctx, NULL, 0, 0, "cannot open migrations directory '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return mm_error_hint(ctx, NULL, 0, 0, "--dir takes the directory holding the migrations; use --schema for one SQL file",
		                     "'%s' is not a directory", dir);

	const char *plan = join_path(&ctx->arena, dir, "sqitch.plan");
	if (is_file(plan)) {
		int rc = load_sqitch(m, dir, plan);
		m->known = true;
		return rc;
	}

	struct scan s = { .ctx = ctx };
	scan_dir(&s, dir, 0);
	if (s.rc != 0)
		return -1;

	int which = -1;
	for (int l = 0; l < L_COUNT; l++) {
		bool present = s.found[l].len > 0 || (l == L_FLYWAY && s.repeatable.len > 0);
		if (!present)
			continue;
		if (which >= 0) {
			const struct mig *a = first_by_path(s.found[which].len ? &s.found[which] : &s.repeatable);
			const struct mig *b = first_by_path(&s.found[l]);
			return mm_error_hint(ctx, NULL, 0, 0, "keep one tool's migrations in a directory",
			                     "'%s' mixes %s and %s migrations ('%s' and '%s')", dir,
			                     layout_name[which], layout_name[l], a->path, b->path);
		}
		which = l;
	}
	if (which < 0) {
		bool found; /* goose, Liquibase, plain: dir_more.c */
		int rc = mm_model_load_dir_more(m, dir, &found);
		if (found || rc != 0) {
			m->known = true;
			return rc;
		}
	}
	if (which < 0)
		return mm_error_hint(ctx, NULL, 0, 0, expected_shapes,
		                     "cannot tell which migration tool '%s' belongs to", dir);

	enum layout l = (enum layout)which;
	sort_migs(&s.found[l], l == L_DIESEL ? cmp_name : cmp_version);
	sort_migs(&s.repeatable, cmp_desc);
	if (l != L_DIESEL && check_duplicates(&s, l) != 0)
		return -1;

	int rc = replay_all(m, &s.found[l], l == L_DBMATE);
	if (rc == 0 && l == L_FLYWAY)
		rc = replay_all(m, &s.repeatable, false);
	m->known = true;
	return rc;
}

/* --- the scripts themselves, for `mkmig check DIR` (same detection and order as the replay) --- */

int mm_model_dir_scripts(struct mm_ctx *ctx, const char *dir, struct mm_vec *out)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return mm_error(ctx, NULL, 0, 0, "cannot open migrations directory '%s'", dir);
	const char *plan_path = join_path(&ctx->arena, dir, "sqitch.plan");
	if (is_file(plan_path)) {
		struct mm_source *plan = mm_sql_read(ctx, plan_path);
		if (!plan)
			return -1;
		struct mm_vec lines = { 0 };
		sqitch_parse_plan(ctx, plan, &lines);
		const char *deploy = join_path(&ctx->arena, dir, "deploy");
		for (size_t i = 0; i < lines.len; i++) {
			const struct plan_line *c = mm_vec_at(&lines, i);
			if (c->tag)
				continue;
			const char *script = sqitch_script(ctx, plan, &lines, i, deploy);
			if (!script)
				return -1;
			mm_vec_push(&ctx->arena, out, (void *)script);
		}
		return 0;
	}
	struct scan s = { .ctx = ctx };
	scan_dir(&s, dir, 0);
	if (s.rc != 0)
		return -1;
	int which = -1;
	for (int l = 0; l < L_COUNT; l++)
		if (s.found[l].len > 0 || (l == L_FLYWAY && s.repeatable.len > 0)) {
			if (which >= 0)
				return mm_error_hint(ctx, NULL, 0, 0, "keep one tool's migrations in a directory",
				                     "'%s' mixes %s and %s migrations", dir, layout_name[which], layout_name[l]);
			which = l;
		}
	if (which < 0)
		return mm_error_hint(ctx, NULL, 0, 0, expected_shapes, "cannot tell which migration tool '%s' belongs to", dir);
	enum layout l = (enum layout)which;
	sort_migs(&s.found[l], l == L_DIESEL ? cmp_name : cmp_version);
	sort_migs(&s.repeatable, cmp_desc);
	if (l != L_DIESEL && check_duplicates(&s, l) != 0)
		return -1;
	for (size_t i = 0; i < s.found[l].len; i++)
		mm_vec_push(&ctx->arena, out, (void *)((const struct mig *)mm_vec_at(&s.found[l], i))->path);
	if (l == L_FLYWAY)
		for (size_t i = 0; i < s.repeatable.len; i++)
			mm_vec_push(&ctx->arena, out, (void *)((const struct mig *)mm_vec_at(&s.repeatable, i))->path);
	return 0;
}
