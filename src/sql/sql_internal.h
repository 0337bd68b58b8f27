/* sql_internal.h — what the front end's files share among themselves. */
#ifndef MKMIG_SQL_INTERNAL_H
#define MKMIG_SQL_INTERNAL_H

#include "mkmig/sql.h"

#include <pg_query.h>

/* A parse result unpacked into a (the tree is freed with the arena). */
PgQuery__ParseResult *mm_sql_unpack(struct mm_arena *a, const PgQueryProtobuf *pb);
/* Parse text (NUL-terminated, len bytes) as two halves on two threads, when it is long enough:
 * out[0] covers text[0, cut), out[1] the rest, with positions in the whole text, both owned by
 * a. Returns cut, or 0 when the text was not split or a half failed to parse. */
size_t mm_sql_parse_split(struct mm_arena *a, const char *text, size_t len, PgQuery__ParseResult *out[2]);
/* Past white space and comments in t[off, end) (head.c). */
size_t mm_sql_skip_blank(const char *t, size_t off, size_t end);

#endif
