/*
 * layout.h — writing a plan into a migrations directory in the layout of the runner it already
 * uses (Flyway, golang-migrate, goose, dbmate, plain psql pairs), and the manifest mkmig.sum that
 * records what mkmig wrote, with the runner's own checksum, and which contract phases are pending.
 *
 * One file (or file pair) per plan step: a step is a unit that must run on its own (its own
 * transaction, or none). Steps before the plan's first checkpoint are written now; the rest are
 * recorded in the manifest as a pending change that `mkmig complete` writes later, so nobody
 * applies a contract phase before the application is ready (design.md, "Multi-deploy changes").
 *
 * A run is all-or-nothing: every file is prepared in a temporary file first, none replaces an
 * existing one, and when any cannot be written the ones already placed are removed again.
 */
#ifndef MKMIG_LAYOUT_H
#define MKMIG_LAYOUT_H

#include "mkmig/emit.h"

#define MM_MANIFEST_NAME "mkmig.sum"

/* A file a run writes; path is relative to the output directory. */
struct mm_out_file {
	const char *path;
	const char *text;
	size_t len;
	bool record;      /* a migration file: recorded in the manifest with its checksums */
	bool replace;     /* an existing file the runner needs extended (Liquibase's master changelog:
	                     text is its old content plus the appended lines); written last, restored
	                     when the run fails after it */
	const char *old;  /* replace: the content it had */
	size_t old_len;
};

struct mm_layout;

/* One step to write, with its position in the change ("step 2/5"). */
struct mm_out_step {
	const struct mm_step *step;
	size_t number, total;
	const char *desc;    /* description slug, e.g. "add_index_orders_customer_id" */
};

/* What a layout's writer gets: the directory's existing file names and where to add files. */
struct mm_layout_run {
	struct mm_ctx *ctx;
	const char *dir;
	struct mm_vec existing;   /* const char *: file names in dir (relative, '/' separated) */
	struct mm_vec files;      /* struct mm_out_file *: what this run writes, in order */
	long long now;            /* UTC seconds: SOURCE_DATE_EPOCH when set, else the clock */
	struct mm_vec notes;      /* const char *: said on stderr after writing (config hints) */
	const char *naive_sql;    /* the statements the run was compiled from (NULL for complete:
	                             the manifest already records them), for the schema at its end */
};

struct mm_layout {
	const char *name;
	const char *runner_sum;  /* the runner's checksum kind in the manifest ("flyway-crc32"), or NULL */
	/* How strongly the directory looks like this layout (0: not at all). */
	int (*detect)(const struct mm_layout_run *run);
	/* Add the files for these steps to run->files. Returns 0 or -1 (error in ctx). */
	int (*write)(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n);
	/* The runner's checksum of one file (path relative to the directory) as the manifest stores
	 * it, or NULL when the runner checks none for that file. */
	const char *(*checksum)(struct mm_arena *a, const char *path, const char *text, size_t len);
	/* Optional: explain a changed runner checksum part by part (Liquibase: per changeset) on
	 * out, two-space indented; returns how many parts the runner would reject. */
	size_t (*diff)(struct mm_arena *a, const char *recorded, const char *now, struct mm_buf *out);
};

const struct mm_layout *mm_layout_find(const char *name);
/* The names of every layout, "a|b|c", for messages. */
const char *mm_layout_names(void);
/* Choose the layout for dir: the named one, else detection; an empty or ambiguous directory is
 * an error listing the choices. */
int mm_layout_choose(struct mm_ctx *ctx, const char *dir, const char *format, const struct mm_layout **out);
/* Scan dir into run (existing names, clock). */
int mm_layout_run_init(struct mm_ctx *ctx, struct mm_layout_run *run, const char *dir);

/* Write the plan into dir: steps up to the first checkpoint now, the rest pending in the
 * manifest. input_label names the change in messages and the manifest. When dry_run is set,
 * nothing is written and the file names are listed on out instead. */
int mm_layout_write_plan(struct mm_ctx *ctx, const struct mm_layout *l, const char *dir,
                         const struct mm_plan *plan, bool dry_run, struct mm_buf *out);

/* --- the pieces layouts share (layout_common.c) ---------------------------------------------- */
/* Description slug from a step title: lower case, [a-z0-9_], no schema "public.", at most max chars. */
const char *mm_layout_slug(struct mm_arena *a, const char *title, size_t max);
void mm_layout_add(struct mm_layout_run *run, const char *path, struct mm_buf *text, bool record);
/* Extend an existing file of the directory (old content + text). */
void mm_layout_append(struct mm_layout_run *run, const char *path, const char *old, size_t old_len,
                      struct mm_buf *text);
/* The header comment every file starts with: step, what it does, how it runs, its locks. */
void mm_layout_step_comment(struct mm_ctx *ctx, const struct mm_out_step *os, enum mm_direction dir,
                            const char *prefix, struct mm_buf *out);
/* The body of one step in the given style: the retry helper when needed, then the SQL. */
void mm_layout_step_body(struct mm_ctx *ctx, const struct mm_out_step *os, enum mm_direction dir,
                         const struct mm_sql_style *st, struct mm_buf *out);
/* Lines a runner reads as its own directive before any SQL parser sees the file
 * (layout_directives.c): match returns the directive a line would be taken for, or NULL. */
struct mm_directives {
	const char *runner;
	const char *(*match)(const char *line, size_t n);
};
extern const struct mm_directives mm_directives_liquibase, mm_directives_goose, mm_directives_dbmate;
/* An error at the line in the input (nothing is written) when a line of the step's SQL, up or
 * down, would be read as one of the runner's directives. */
int mm_layout_refuse_directives(struct mm_ctx *ctx, const struct mm_out_step *os, const struct mm_directives *d);
/* The next n whole-number versions after every leading-digits version among names matching
 * (prefix, then digits): same zero padding as the widest existing one; timestamp style
 * (14 digits, yyyymmddHHMMSS) when the highest one looks like one or none exist and ts is set. */
/* Detection score for runners whose files are DIGITS…_name.sql at the top of the directory and
 * carry a marker line (dbmate's "-- migrate:up", goose's "-- +goose Up"): 2 per such file. */
int mm_layout_detect_marker(const struct mm_layout_run *run, const char *marker);
void mm_layout_next_numbers(struct mm_layout_run *run, const char *prefix, bool default_ts, size_t n,
                            const char **out);

/* sqitch's verify script for a step: checks of what it made, from the schema at the end of the
 * change (end: NULL when unknown, then a bare SELECT 1) (sqitch_verify.c). */
struct mm_model;
void mm_sqitch_verify(struct mm_ctx *ctx, const struct mm_model *end, const struct mm_out_step *os, struct mm_buf *out);

/* --- checksums (checksum.c) -------------------------------------------------------------------- */
/* Flyway's CRC32 (ChecksumCalculator): CRC-32 over each line's bytes, line breaks dropped, a
 * leading BOM skipped, as a signed 32-bit int. */
int32_t mm_flyway_crc32(const char *text, size_t len);
uint64_t mm_xxh3(const char *text, size_t len);
/* SHA-1 as 40 lower-case hex digits (sha1.c). */
void mm_sha1_hex(const char *text, size_t len, char out[41]);
/* MD5 as 32 lower-case hex digits (md5.c). */
void mm_md5_hex(const char *text, size_t len, char out[33]);
/* Liquibase's checksum (version 9, since 4.22) of a formatted-SQL changeset whose SQL is sql:
 * "9:" + MD5("9:" + MD5(sql without any whitespace) + ":"). */
const char *mm_liquibase_checksum(struct mm_arena *a, const char *sql, size_t len);

/* --- the manifest (manifest.c) ---------------------------------------------------------------- */
struct mm_manifest_file {
	const char *name;     /* relative path in dir */
	uint64_t xxh3;
	const char *runner;   /* runner checksum as text ("flyway-crc32:-123"), or NULL */
	const char *change;   /* the change it belongs to */
};

/* A pending phase: the steps `mkmig complete` writes, and what they wait for. */
struct mm_manifest_pending {
	const char *change;   /* name, e.g. "rename_orders_user_name_to_username" */
	const char *waits;    /* the checkpoint message */
	struct mm_vec steps;  /* struct mm_step * (rebuilt: title, units, SQL, locks, warnings) */
	size_t first_number, total;
};

/* A run's input: the --dir loader replays it in place of the run's files (whose DDL sits inside
 * retry calls and DO blocks the model cannot read), at the position of its first up file. */
struct mm_manifest_run {
	const char *anchor;   /* the run's first up file */
	const char *sql;      /* the naive statements it was compiled from, each with its ';' */
};

struct mm_manifest {
	const char *format;   /* the layout's name */
	int pg_version;
	struct mm_vec files;    /* struct mm_manifest_file * */
	struct mm_vec pending;  /* struct mm_manifest_pending * */
	struct mm_vec runs;     /* struct mm_manifest_run * */
};

/* Read DIR/mkmig.sum; a missing manifest gives an empty one (returns 1). -1 on a bad file. */
int mm_manifest_read(struct mm_ctx *ctx, const char *dir, struct mm_manifest *m);
void mm_manifest_format(struct mm_ctx *ctx, const struct mm_manifest *m, struct mm_buf *out);

/* Write these steps as files, add them to m and write m; the files are listed on out. */
int mm_layout_write_steps(struct mm_ctx *ctx, const struct mm_layout *l, const char *dir, struct mm_manifest *m,
                          const struct mm_out_step *steps, size_t n, const char *change, const char *naive_sql,
                          bool dry_run, struct mm_buf *out);

/* --- the commands' work (layout_cmds.c) -------------------------------------------------------- */
int mm_layout_status(struct mm_ctx *ctx, const char *dir, struct mm_buf *out);
/* Returns 0 clean, 1 problems found (listed on out), -1 error. */
int mm_layout_verify(struct mm_ctx *ctx, const char *dir, struct mm_buf *out);
int mm_layout_complete(struct mm_ctx *ctx, const char *dir, const char *change, struct mm_buf *out);

#endif
