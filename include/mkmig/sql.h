/*
 * sql.h — the SQL front end: read, split and parse naive SQL with libpg_query, keep every
 * statement's place in its source, deparse trees back to SQL, quote identifiers and literals,
 * and build object names that fit PostgreSQL's 63-byte limit.
 *
 * Statement trees are libpg_query's protobuf-c nodes (pg_query.pb-c.h). They live as long as the
 * compilation: the unpacked result is freed when the context's arena is released.
 */
#ifndef MKMIG_SQL_H
#define MKMIG_SQL_H

#include "mkmig/ctx.h"
#include <pg_query/pg_query.pb-c.h>

/* Largest input accepted in one file. libpg_query builds the whole tree in memory (tens of times
 * the text); a schema dump of thousands of tables is a few MB, so this leaves ample room while
 * refusing, with a clear message, what would exhaust memory. */
#define MM_MAX_INPUT_BYTES ((size_t)64 << 20)

struct mm_stmt {
	struct mm_source *src;
	size_t off;               /* byte offset of the statement's first token */
	size_t len;               /* bytes up to (not including) the terminating semicolon */
	const char *text;         /* the statement as written, without the semicolon */
	PgQuery__Node *node;      /* the parsed statement (RawStmt's stmt) */
	size_t index;             /* position in its source, 0-based */
};

struct mm_stmt_list {
	struct mm_vec items;      /* of struct mm_stmt * */
};

/* Read a file ("-" = stdin) into a source owned by ctx; reports unreadable files, NUL bytes,
 * invalid UTF-8 and oversize input as errors. Returns NULL on error. */
struct mm_source *mm_sql_read(struct mm_ctx *ctx, const char *path);
/* Parse a whole source into statements appended to out. Returns 0, or -1 after reporting the
 * syntax error at its position. An empty source (or only comments) yields no statements. */
int mm_sql_parse(struct mm_ctx *ctx, struct mm_source *src, struct mm_stmt_list *out);
/* One CALL pg_temp.mkmig_retry(...) of mkmig's own output (src/emit/sqltext.c). */
struct mm_sql_helper_call {
	size_t off, len;          /* the call statement in the file */
	bool block;               /* its string is a PL/pgSQL block body */
};
/* mm_sql_parse, but a call of mkmig's retry helper yields the statements its string runs (a
 * first run's: the THEN branches of its guards), at their positions in the file (helpers.c).
 * The calls are appended to calls (struct mm_sql_helper_call *) when it is not NULL. */
int mm_sql_parse_unwrapped(struct mm_ctx *ctx, struct mm_source *src, struct mm_stmt_list *out, struct mm_vec *calls);
/* Parse one SQL string (generated or fragment) and return its only statement's node, NULL on
 * error (reported against a source named `what`). */
PgQuery__Node *mm_sql_parse_one(struct mm_ctx *ctx, const char *sql, const char *what);
/* Parse an expression by wrapping it in a carrier statement ("SELECT <expr>"). */
PgQuery__Node *mm_sql_parse_expr(struct mm_ctx *ctx, const char *expr);
/* Parse a type name by wrapping it in a carrier statement ("SELECT NULL::<type>"). */
PgQuery__TypeName *mm_sql_parse_type(struct mm_ctx *ctx, const char *type);

/* Deparse a statement node to SQL text (no trailing semicolon), in the arena. NULL on failure
 * (a bug in the caller's tree), with an error reported. */
char *mm_sql_deparse(struct mm_ctx *ctx, PgQuery__Node *stmt);
/* Deparse an expression node (through a SELECT carrier). */
char *mm_sql_deparse_expr(struct mm_ctx *ctx, PgQuery__Node *expr);
/* Deparse a type name (through a SELECT NULL::type carrier). */
char *mm_sql_deparse_type(struct mm_ctx *ctx, PgQuery__TypeName *type);
/* deparse(node), memoised per shape of the tree (locations aside) under kind: the fields in
 * names (pointers to name fields inside node; NULL or empty ones are left alone) are swapped
 * for placeholders while the shape is taken and filled back in, quoted, into the text, so trees
 * differing only in those names share one deparse. */
char *mm_sql_deparse_memo(struct mm_ctx *ctx, const char *kind, PgQuery__Node *node, char **const *names,
                          size_t n_names, char *(*deparse)(struct mm_ctx *ctx, PgQuery__Node *node));

/* Visit every Node in a tree, depth first (generic over protobuf-c descriptors, so no node type
 * is forgotten). fn returns false to stop descending into that node. */
typedef bool (*mm_sql_visit_fn)(PgQuery__Node *node, void *arg);
void mm_sql_walk(PgQuery__Node *node, mm_sql_visit_fn fn, void *arg);
/* A String node (identifier or operator name) for building trees; allocated in a. */
PgQuery__Node *mm_sql_string_node(struct mm_arena *a, const char *s);
/* Distinct column names referenced by an expression (last field of each ColumnRef), in order. */
void mm_sql_column_refs(struct mm_arena *a, PgQuery__Node *expr, struct mm_vec *out);

/* Tokens of a SQL text, as PostgreSQL's lexer sees them. */
struct mm_token {
	size_t start, end;          /* byte range */
	bool ident;                 /* an identifier, or a keyword that may serve as one */
	bool quoted;                /* a "quoted" identifier */
	char ch;                    /* single-character token ('.', '(', ...), else 0 */
	const char *keyword;        /* lower-case keyword text, or NULL */
};
/* Scan text into tokens (arena). Returns the count, or -1 on a lexical error (reported). */
long mm_sql_scan(struct mm_ctx *ctx, const char *text, struct mm_token **out);
/* Rewrite identifier tokens: fn gets each identifier (unquoted value) in a column position —
 * not after '.', '::', ON, TABLE, INDEX, REFERENCES, CONSTRAINT, and not before '.' or '(' — and
 * returns replacement SQL text, or NULL to keep it. Tokens after stop_keyword (e.g.
 * "references"), if given, are kept. Returns the new text, NULL on a scan error. */
typedef const char *(*mm_ident_fn)(const char *ident, void *arg);
char *mm_sql_rewrite_idents(struct mm_ctx *ctx, const char *text, const char *stop_keyword, mm_ident_fn fn, void *arg);
/* text with insert placed right after its head: the keywords of head in order (each entry
 * '|'-separated alternatives, case-insensitive; an entry starting with '*' matches any number of
 * them), past white space and comments. NULL when text does not open with that head. */
char *mm_sql_insert_after_head(struct mm_arena *a, const char *text, const char *const *head, const char *insert);

/* libpg_query's grammar version, e.g. "15.1". */
const char *mm_sql_grammar_version(void);
/* Release libpg_query's per-thread memory; call once, just before exit, so leak checkers stay
 * quiet. libpg_query must not be used afterwards (15-4.0 keeps a dangling context pointer). */
void mm_sql_shutdown(void);

/* --- quoting: exactly PostgreSQL's quote_ident / quote_literal ----------------------------- */
/* Keyword category of a word as PostgreSQL's grammar sees it. */
enum mm_keyword_kind { MM_KW_NONE, MM_KW_UNRESERVED, MM_KW_COL_NAME, MM_KW_TYPE_FUNC, MM_KW_RESERVED };
enum mm_keyword_kind mm_sql_keyword_kind(const char *word);
bool mm_sql_ident_needs_quotes(const char *name);
char *mm_sql_ident(struct mm_arena *a, const char *name);
/* schema.name, each part quoted as needed; schema may be NULL. */
char *mm_sql_qname(struct mm_arena *a, const char *schema, const char *name);
/* 'text' with quotes doubled; E'' form when the text holds a backslash (as quote_literal does). */
char *mm_sql_literal(struct mm_arena *a, const char *text);
void mm_buf_add_ident(struct mm_buf *b, const char *name);
void mm_buf_add_literal(struct mm_buf *b, const char *text);

/* --- names within the 63-byte identifier limit -------------------------------------------- */
#define MM_NAMEDATALEN 64
/* PostgreSQL's makeObjectName(name1, name2, label): the name the server would generate for an
 * unnamed index or constraint (before its collision numbering). name2 may be NULL. */
char *mm_name_pg_object(struct mm_arena *a, const char *name1, const char *name2, const char *label);
/* A helper object's name: base + "_" + suffix when it fits in 63 bytes; otherwise base is cut
 * at a character boundary and an 8-hex-digit xxh3 of the full intended name is inserted, so
 * distinct long names stay distinct and the result is deterministic. */
char *mm_name_helper(struct mm_arena *a, const char *base, const char *suffix);

#endif
