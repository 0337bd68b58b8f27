/*
 * fuzz_common.h — what every libFuzzer target shares: a private scratch directory (the front
 * ends read files, so each input is written to one), the pipeline run the way the CLI runs it,
 * and the checks that turn a wrong answer into a crash libFuzzer records.
 */
#ifndef MKMIG_FUZZ_COMMON_H
#define MKMIG_FUZZ_COMMON_H

#include "mkmig/ctx.h"
#include <stddef.h>
#include <stdint.h>

/* The scratch directory of this process (created on first use, under $TMPDIR or /tmp). */
const char *fz_scratch(void);
/* Write data to path (created or truncated); aborts when the scratch area is unusable. */
void fz_write(const char *path, const void *data, size_t len);
/* The same, false instead of aborting (a fuzzed file name the file system refuses). */
bool fz_write_try(const char *path, const void *data, size_t len);
/* Remove a directory tree (the dir loader's inputs). */
void fz_rmtree(const char *path);

/* One compilation's observable result: exit-like status, stdout-like outputs, stderr text. */
struct fz_result {
	int failed;              /* the CLI would exit 2 */
	struct mm_buf up, down, plan, diags;
};
void fz_result_release(struct fz_result *r);

/* Model from schema_path (NULL: none) and dir (NULL: none), input from input_path, then the
 * filter's up and down scripts and the plan text, as cmd_filter/cmd_plan build them. */
void fz_compile(const char *schema_path, const char *dir, const char *input_path, int pg_version,
                struct fz_result *out);
/* The same with INPUT read as a change spec (`mkmig apply FILE`) when spec_input. */
void fz_compile_spec(const char *schema_path, const char *dir, const char *input_path, int pg_version,
                     bool spec_input, struct fz_result *out);
/* The design contracts a compilation must meet: an error has a message and produces no output;
 * a success yields scripts that re-parse with libpg_query; the same inputs give the same bytes.
 * Aborts (a libFuzzer crash) with the reason on stderr. */
void fz_check(const char *what, const struct fz_result *a, const struct fz_result *b);

/* Split data at the first line equal to marker (e.g. "-- mkmig-fuzz: input"): [0, *head) is
 * before it and [*tail, size) after. Without the marker, *head = 0 and *tail = 0 (all input). */
void fz_split(const uint8_t *data, size_t size, const char *marker, size_t *head, size_t *tail);

#endif
