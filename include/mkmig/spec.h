/*
 * spec.h — the change-spec front end: `mkmig rename users.user_name username`, `mkmig apply
 * FILE`. A spec statement becomes the same typed changes (change.h) the SQL front end produces,
 * mostly by generating the naive SQL it stands for and parsing that with libpg_query, so rules,
 * the model, downs and emitters are shared. Generated SQL keeps a map back to the spec text: an
 * error anywhere downstream (a bad expression, an unknown column) points at the spec's line and
 * column (mm_spec_remap_diags).
 */
#ifndef MKMIG_SPEC_H
#define MKMIG_SPEC_H

#include "mkmig/change.h"

/* File extension of spec files (read as spec by every verb; `mkmig apply` reads any name). */
#define MM_SPEC_EXT ".mkmig"

struct mm_spec;

struct mm_spec *mm_spec_new(struct mm_ctx *ctx);
/* Parse and lower a whole spec source into changes appended to out. Returns 0, or -1 after
 * reporting errors (positions in src). */
int mm_spec_parse(struct mm_ctx *ctx, struct mm_spec *spec, struct mm_source *src, struct mm_change_list *out);
/* Move diagnostics reported against generated SQL to the spec text it came from. Call once,
 * after planning and before printing. */
void mm_spec_remap_diags(struct mm_ctx *ctx, struct mm_spec *spec);

/* The command line as one statement: "VERB W1 W2 ...;". Words that are not plain names, numbers
 * or keywords (anything with a space, a parenthesis, an operator) were quoted in the shell: they
 * become 'strings' (expressions, types), so what the shell grouped stays one token. */
char *mm_spec_join_words(struct mm_arena *a, const char *verb, const char *const *words, size_t n);

/* The statement verbs, for the CLI's verb table and hints. NULL past the last. */
const char *mm_spec_verb_name(size_t i);
bool mm_spec_is_verb(const char *word);

#endif
