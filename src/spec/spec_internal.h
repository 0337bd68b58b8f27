/*
 * spec_internal.h — what the change-spec lexer, the lemon grammar (grammar/spec.y) and the
 * lowering to changes share. Not for other stages: they see include/mkmig/spec.h.
 */
#ifndef MKMIG_SPEC_INTERNAL_H
#define MKMIG_SPEC_INTERNAL_H

#include "mkmig/spec.h"

/* One token of a spec text. val is the unquoted value (identifiers as written, strings without
 * their quotes and with '' undoubled). */
struct mm_spec_tok {
	int type;          /* MM_SPEC_T_* from the generated spec_grammar.h; 0 = end */
	size_t off, len;   /* bytes in the source */
	const char *val;
	bool quoted;       /* a "quoted" identifier or a 'string' */
};

/* A dotted name: schema.table, table.column, schema.table.column. */
struct mm_spec_qname {
	int n;
	struct mm_spec_tok part[3];
};

/* Statement verbs (the first word), in the order of the verb table in parse.c. */
enum mm_spec_verb {
	MM_SV_RENAME, MM_SV_RENAME_TABLE, MM_SV_ADD_COLUMN, MM_SV_DROP_COLUMN, MM_SV_DROP_TABLE, MM_SV_ADD_INDEX,
	MM_SV_DROP_INDEX, MM_SV_ADD_FK, MM_SV_ADD_CHECK, MM_SV_ADD_UNIQUE, MM_SV_SET_NOT_NULL, MM_SV_DROP_NOT_NULL,
	MM_SV_CHANGE_TYPE, MM_SV_CONVERT, MM_SV_BACKFILL, MM_SV__COUNT
};

/* Options a statement may carry; each verb accepts some (parse.c says which). */
enum mm_spec_opt {
	MM_SO_NOT_NULL = 1 << 0, MM_SO_NULL = 1 << 1, MM_SO_DEFAULT = 1 << 2, MM_SO_BACKFILL = 1 << 3,
	MM_SO_USING = 1 << 4, MM_SO_BACK = 1 << 5, MM_SO_WHERE = 1 << 6, MM_SO_NAME = 1 << 7, MM_SO_UNIQUE = 1 << 8,
	MM_SO_ON_DELETE = 1 << 9, MM_SO_ON_UPDATE = 1 << 10, MM_SO_BATCH_SIZE = 1 << 11, MM_SO_LOCK_TIMEOUT = 1 << 12,
};

/* One parsed statement, as the grammar's actions fill it. */
struct mm_spec_stmt {
	enum mm_spec_verb verb;
	struct mm_spec_tok verb_tok;
	size_t off, len;                /* the whole statement, without its ';' */
	struct mm_spec_qname target;    /* the first name */
	struct mm_spec_qname other;     /* rename's new name, convert's new column, references */
	struct mm_spec_tok type_first, type_last; /* the type words, or one string */
	bool has_type;
	struct mm_vec elems;            /* struct mm_spec_tok *: index elements, extra columns */
	struct mm_vec ref_cols;         /* struct mm_spec_tok *: referenced columns after the first */
	unsigned opts;                  /* enum mm_spec_opt seen */
	struct mm_spec_tok opt_tok[13]; /* the keyword of each option, by bit index (positions) */
	struct mm_spec_tok def, backfill, using_, back, where, name, batch, lock_timeout;
	struct mm_spec_tok on_delete_first, on_delete_last, on_update_first, on_update_last;
};

/* The grammar's extra argument. */
struct mm_spec_pstate {
	struct mm_arena *arena;
	struct mm_spec_stmt cur;
	struct mm_vec stmts;            /* struct mm_spec_stmt * */
	bool error;
	bool probing;                   /* a probe of whether a token fits: no side effects kept */
};

/* Grammar action helpers (parse.c). */
void mm_spec_set_opt(struct mm_spec_pstate *S, enum mm_spec_opt o, struct mm_spec_tok kw);
void mm_spec_push_tok(struct mm_spec_pstate *S, struct mm_vec *v, struct mm_spec_tok t);

/* The lemon parser (generated from grammar/spec.y). */
size_t mm_spec_parser_size(void);
void mm_spec_parser_init(void *p);
void mm_spec_parser_copy(void *dst, const void *src);
void mm_spec_parser(void *p, int type, struct mm_spec_tok tok, struct mm_spec_pstate *S);
/* The word of a keyword or verb token (NULL for other tokens). */
const char *mm_spec_keyword_word(int type);
int mm_spec_token_count(void);

/* Lexer (lex.c): the whole text into tokens (arena), ending with a type-0 token. Returns the
 * count, or -1 after reporting a lexical error. */
long mm_spec_lex(struct mm_ctx *ctx, struct mm_source *src, struct mm_spec_tok **out);
/* The keyword or verb token type of a word (0: a plain word). */
int mm_spec_keyword(const char *word, size_t len);

/* The map from generated SQL back to the spec (lower.c builds it, map.c uses it). */
struct mm_spec_frag {
	size_t gen_off, gen_len;   /* in the generated text */
	size_t src_off, src_len;   /* in the spec text */
	bool string;               /* src is a 'string' token: offsets step over doubled quotes */
};

struct mm_spec_genmap {
	struct mm_source *gen, *spec;
	size_t stmt_off, stmt_len;
	struct mm_vec frags;       /* struct mm_spec_frag * */
};

struct mm_spec {
	struct mm_vec maps;        /* struct mm_spec_genmap * */
};

/* Lowering (lower.c): one statement to changes. */
int mm_spec_lower(struct mm_ctx *ctx, struct mm_spec *spec, struct mm_source *src, const struct mm_spec_stmt *st,
                  struct mm_change_list *out);

#endif
