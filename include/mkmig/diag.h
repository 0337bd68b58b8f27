/*
 * diag.h — diagnostics: every stage reports through these, none prints or exits.
 *
 * A diagnostic points at a byte span of a source; line and column are computed only when it is
 * printed (columns count characters, 1-based). Rendering is one shape for every error:
 *   FILE:LINE:COL: error: MESSAGE
 *     the source line
 *     ^~~~ under the span
 *   hint: ...
 */
#ifndef MKMIG_DIAG_H
#define MKMIG_DIAG_H

#include "mkmig/util.h"

/* One input text: a file, stdin, an argv word, a generated fragment. */
struct mm_source {
	const char *name;      /* as the user wrote it; "<stdin>" for standard input */
	const char *text;      /* NUL-terminated; owned by the compilation's arena or the caller */
	size_t len;
	size_t *line_starts;   /* built on first use, in arena */
	struct mm_arena *arena;
	size_t nlines;
};

enum mm_severity { MM_NOTE, MM_WARNING, MM_ERROR };

struct mm_diag {
	enum mm_severity severity;
	const struct mm_source *src;  /* NULL: not tied to a place */
	size_t off, len;              /* byte span in src->text */
	const char *message;
	const char *hint;             /* NULL or a full sentence */
	size_t seq;                   /* order of reporting, for a stable sort */
};

struct mm_diags {
	struct mm_vec items;  /* of struct mm_diag * */
	size_t nerrors;
};

struct mm_arena;
struct mm_source *mm_source_new(struct mm_arena *a, const char *name, const char *text, size_t len);
/* 1-based line and character column of a byte offset. */
void mm_source_position(struct mm_source *src, size_t off, size_t *line, size_t *col);
/* Byte range [start, end) of the line holding off, without its newline. */
void mm_source_line(struct mm_source *src, size_t off, size_t *start, size_t *end);

struct mm_diag *mm_diag_add(struct mm_arena *a, struct mm_diags *d, enum mm_severity sev,
                            const struct mm_source *src, size_t off, size_t len, const char *msg);
/* Print all diagnostics sorted by source then position, in the shape described above. */
void mm_diags_print(struct mm_diags *d, FILE *out, bool color);
void mm_diag_render(struct mm_buf *out, const struct mm_diag *dg, bool color);

#endif
