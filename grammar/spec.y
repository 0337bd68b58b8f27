/*
 * spec.y — the change-spec language (lemon). `mkmig VERB ARGS...` on the command line is the
 * statement `VERB ARGS...;` of this grammar: there is no second parser for the CLI.
 *
 *   rename users.user_name username;
 *   convert products.price_dollars to price_cents integer
 *       using 'round(price_dollars * 100)' back 'price_cents / 100.0';
 *
 * Names are words or "quoted"; types are words (`timestamp with time zone`, `numeric(12,2)`) or
 * a 'string'; expressions are a 'string' (or one word or number: `default 0`, `now()`), checked by
 * PostgreSQL's own grammar when lowered (src/spec/lower.c). Keywords are reserved only where they
 * fit: the driver (src/spec/parse.c) feeds a keyword the grammar cannot take here as a plain
 * word, so a column may be called `name` or `to`. The build generates the C parser into the build
 * tree; it is never committed.
 */
%name mm_spec_parser
%token_prefix MM_SPEC_T_
%token_type { struct mm_spec_tok }
%extra_argument { struct mm_spec_pstate *S }
%stack_size 100
%syntax_error { (void)yymajor; (void)yyminor; S->error = true; }
%parse_failure { S->error = true; }
%stack_overflow { S->error = true; }

%include {
#include "spec_internal.h"
#include <assert.h>
#include <string.h>
#define YYNOERRORRECOVERY 1
#define NDEBUG 1
}

%code {
size_t mm_spec_parser_size(void)
{
	return sizeof(yyParser);
}

void mm_spec_parser_init(void *p)
{
	mm_spec_parserInit(p);
}

/* The parser is plain memory with a fixed stack: a copy is an independent parser, which is how
 * the driver asks "would this token fit here?" without disturbing the real one. */
void mm_spec_parser_copy(void *dst, const void *src)
{
	const yyParser *s = src;
	yyParser *d = dst;
	*d = *s;
	d->yytos = d->yystack + (s->yytos - s->yystack);
	d->yystackEnd = &d->yystack[YYSTACKDEPTH - 1];
}

int mm_spec_token_count(void)
{
	return YYNTOKEN;
}
}

/* Token order: the punctuation and value tokens first, then keywords, then verbs. */
%token WORD STRING NUMBER DOT COMMA SEMI.
%token TO USING BACK NOT NULL DEFAULT WHERE NAME UNIQUE REFERENCES ON DELETE UPDATE BATCH_SIZE
       LOCK_TIMEOUT.
%token RENAME RENAME_TABLE ADD_COLUMN DROP_COLUMN DROP_TABLE ADD_INDEX DROP_INDEX ADD_FK ADD_CHECK
       ADD_UNIQUE SET_NOT_NULL DROP_NOT_NULL CHANGE_TYPE CONVERT BACKFILL.

%type qname { struct mm_spec_qname }
%type name { struct mm_spec_tok }
%type expr { struct mm_spec_tok }

spec ::= stmts.
stmts ::= .
stmts ::= stmts SEMI.
stmts ::= stmts stmt SEMI.

name(A) ::= WORD(B). { A = B; }

qname(A) ::= name(B). { memset(&A, 0, sizeof(A)); A.n = 1; A.part[0] = B; }
qname(A) ::= name(B) DOT name(C). { memset(&A, 0, sizeof(A)); A.n = 2; A.part[0] = B; A.part[1] = C; }
qname(A) ::= name(B) DOT name(C) DOT name(D).
	{ memset(&A, 0, sizeof(A)); A.n = 3; A.part[0] = B; A.part[1] = C; A.part[2] = D; }

expr(A) ::= STRING(B). { A = B; }
expr(A) ::= WORD(B). { A = B; }
expr(A) ::= NUMBER(B). { A = B; }

target ::= qname(A). { S->cur.target = A; }
other ::= qname(A). { S->cur.other = A; }
opt_to ::= .
opt_to ::= TO.

type ::= STRING(A). { S->cur.type_first = S->cur.type_last = A; S->cur.has_type = true; }
type ::= typewords.
typewords ::= WORD(A). { S->cur.type_first = S->cur.type_last = A; S->cur.has_type = true; }
typewords ::= typewords WORD(A). { S->cur.type_last = A; }

elems ::= elem.
elems ::= elems COMMA elem.
elem ::= WORD(A). { mm_spec_push_tok(S, &S->cur.elems, A); }
elem ::= STRING(A). { mm_spec_push_tok(S, &S->cur.elems, A); }

more_cols ::= .
more_cols ::= more_cols COMMA WORD(A). { mm_spec_push_tok(S, &S->cur.elems, A); }
more_refs ::= .
more_refs ::= more_refs COMMA WORD(A). { mm_spec_push_tok(S, &S->cur.ref_cols, A); }

/* A foreign key action, one word: cascade, restrict, set-null, set-default, no-action (or the
 * SQL words as a 'string'). */
action(A) ::= WORD(B). { A = B; }
action(A) ::= STRING(B). { A = B; }
%type action { struct mm_spec_tok }

opts ::= .
opts ::= opts opt.
opt ::= NOT(K) NULL. { mm_spec_set_opt(S, MM_SO_NOT_NULL, K); }
opt ::= NULL(K). { mm_spec_set_opt(S, MM_SO_NULL, K); }
opt ::= DEFAULT(K) expr(E). { mm_spec_set_opt(S, MM_SO_DEFAULT, K); S->cur.def = E; }
opt ::= BACKFILL(K) expr(E). { mm_spec_set_opt(S, MM_SO_BACKFILL, K); S->cur.backfill = E; }
opt ::= USING(K) expr(E). { mm_spec_set_opt(S, MM_SO_USING, K); S->cur.using_ = E; }
opt ::= BACK(K) expr(E). { mm_spec_set_opt(S, MM_SO_BACK, K); S->cur.back = E; }
opt ::= WHERE(K) expr(E). { mm_spec_set_opt(S, MM_SO_WHERE, K); S->cur.where = E; }
opt ::= NAME(K) name(N). { mm_spec_set_opt(S, MM_SO_NAME, K); S->cur.name = N; }
opt ::= UNIQUE(K). { mm_spec_set_opt(S, MM_SO_UNIQUE, K); }
opt ::= ON(K) DELETE action(A). { mm_spec_set_opt(S, MM_SO_ON_DELETE, K); S->cur.on_delete_first = A; }
opt ::= ON(K) UPDATE action(A). { mm_spec_set_opt(S, MM_SO_ON_UPDATE, K); S->cur.on_update_first = A; }
opt ::= BATCH_SIZE(K) NUMBER(N). { mm_spec_set_opt(S, MM_SO_BATCH_SIZE, K); S->cur.batch = N; }
opt ::= LOCK_TIMEOUT(K) NUMBER(N). { mm_spec_set_opt(S, MM_SO_LOCK_TIMEOUT, K); S->cur.lock_timeout = N; }

stmt ::= RENAME target opt_to other opts.
stmt ::= RENAME_TABLE target opt_to other opts.
stmt ::= ADD_COLUMN target type opts.
stmt ::= DROP_COLUMN target opts.
stmt ::= DROP_TABLE target opts.
stmt ::= ADD_INDEX target elems opts.
stmt ::= DROP_INDEX target opts.
stmt ::= ADD_FK target more_cols REFERENCES other more_refs opts.
stmt ::= ADD_CHECK target expr(E) opts. { S->cur.using_ = E; }
stmt ::= ADD_UNIQUE target more_cols opts.
stmt ::= SET_NOT_NULL target opts.
stmt ::= DROP_NOT_NULL target opts.
stmt ::= CHANGE_TYPE target opt_to type opts.
stmt ::= CONVERT target TO other type opts.
stmt ::= BACKFILL target opts.
