/*
 * model.h — the schema model: an in-memory catalog of what the database holds before (and,
 * as the planner walks the input, during) the migration.
 *
 * Three sources build the same model: SQL files replayed statement by statement (--schema, e.g.
 * pg_dump -s output), a migrations directory replayed in its tool's order (--dir), and a live
 * catalog read through libpq (--db). The planner then replays each input statement into it
 * (mm_model_apply) so later statements see what earlier ones created, renamed or dropped.
 *
 * Names are stored exactly as PostgreSQL stores them (unquoted identifiers already folded to
 * lower case by the parser; quoted ones keep their case). Lookups take stored names; use
 * mm_model_fold() for names typed by a person (CLI words, spec files).
 * Everything lives in the ctx arena; nothing here is freed on its own.
 */
#ifndef MKMIG_MODEL_H
#define MKMIG_MODEL_H

#include "mkmig/ctx.h"
#include "mkmig/sql.h"

enum mm_relkind {
	MM_REL_TABLE,        /* r */
	MM_REL_PARTITIONED,  /* p */
	MM_REL_VIEW,         /* v */
	MM_REL_MATVIEW,      /* m */
	MM_REL_FOREIGN,      /* f */
};

/* Where an object came from: the existing schema, or a statement of the input being compiled
 * (a table created in the same input needs no CONCURRENTLY or NOT VALID dance). */
enum mm_origin { MM_ORIGIN_EXISTING, MM_ORIGIN_INPUT };

enum mm_volatility { MM_VOL_UNKNOWN, MM_VOL_IMMUTABLE, MM_VOL_STABLE, MM_VOL_VOLATILE };

struct mm_column {
	const char *name;
	const char *type;          /* normalised as format_type() prints it: "character varying(20)",
	                              "integer", "timestamp with time zone", "public.mood" (schema-
	                              qualified only outside pg_catalog), arrays as "integer[]" */
	const char *type_written;  /* as the source wrote it, or NULL (live catalog) */
	const char *collation;     /* NULL = the type's default */
	bool not_null;
	const char *default_expr;  /* canonical SQL text, or NULL */
	enum mm_volatility default_volatility;
	char identity;             /* 0, 'a' (ALWAYS) or 'd' (BY DEFAULT) */
	char generated;            /* 0, 's' (STORED) or 'v' (VIRTUAL, 18+) */
	const char *generation_expr;
	int attnum;                /* order of creation, 1-based; dropped columns are removed */
};

enum mm_contype { MM_CON_CHECK, MM_CON_FOREIGN, MM_CON_PRIMARY, MM_CON_UNIQUE, MM_CON_EXCLUSION };

struct mm_constraint {
	const char *name;
	enum mm_contype type;
	struct mm_vec columns;     /* const char *: constrained columns (FK: referencing side) */
	const char *definition;    /* canonical text as pg_get_constraintdef prints it */
	bool validated;            /* false for NOT VALID */
	bool deferrable, deferred;
	const char *index_name;    /* PRIMARY/UNIQUE/EXCLUSION: the backing index */
	/* FOREIGN only */
	const char *ref_schema, *ref_table;
	struct mm_vec ref_columns; /* const char * */
	enum mm_origin origin;
};

struct mm_index {
	const char *schema;
	const char *name;
	const char *table;         /* in the same schema */
	const char *definition;    /* canonical CREATE [UNIQUE] INDEX text (pg_get_indexdef form) */
	bool unique, primary;
	bool partial;              /* has a WHERE predicate */
	bool has_expressions;
	bool valid;                /* false: INVALID (a failed CONCURRENTLY build) */
	const char *parent_index;  /* partition index attached to a partitioned index, or NULL */
	struct mm_vec columns;     /* const char *: key columns; "" for an expression */
	enum mm_origin origin;
};

struct mm_trigger {
	const char *name;
	const char *function;      /* qualified name of the trigger function */
	const char *definition;
	int type;                  /* pg_trigger.tgtype bits: ROW 1, BEFORE 2, INSERT 4, DELETE 8,
	                              UPDATE 16, TRUNCATE 32, INSTEAD 64 */
};

struct mm_table {
	const char *schema;
	const char *name;
	enum mm_relkind kind;
	struct mm_vec columns;     /* struct mm_column *, in attnum order */
	struct mm_vec constraints; /* struct mm_constraint * */
	struct mm_vec indexes;     /* struct mm_index * (also reachable from the model by name) */
	struct mm_vec triggers;    /* struct mm_trigger * */
	const char *partition_parent_schema, *partition_parent; /* NULL unless a partition */
	struct mm_vec partitions;  /* struct mm_table *: children of a partitioned table */
	const char *partition_key; /* partitioned: pg_get_partkeydef form, e.g. "RANGE (created_at)" */
	struct mm_vec view_deps;   /* views / materialized views: const char * "schema.table" they read */
	const char *view_definition;
	double est_rows;           /* reltuples from --db; -1 when unknown */
	int64_t est_bytes;         /* pg_total_relation_size from --db; -1 when unknown */
	enum mm_origin origin;
};

struct mm_sequence {
	const char *schema, *name;
	const char *type;
	const char *owner_table, *owner_column;  /* OWNED BY, or NULL */
};

struct mm_enum {
	const char *schema, *name;
	struct mm_vec labels;      /* const char *, in sort order */
};

struct mm_function {
	const char *schema, *name;
	const char *args;          /* canonical argument types, e.g. "integer, text" */
	const char *returns;
	enum mm_volatility volatility;
	const char *language;
};

struct mm_model {
	struct mm_ctx *ctx;
	struct mm_vec schemas;     /* const char * */
	struct mm_vec tables;      /* struct mm_table *: tables, views, matviews, partitions */
	struct mm_vec sequences;   /* struct mm_sequence * */
	struct mm_vec enums;       /* struct mm_enum * */
	struct mm_vec functions;   /* struct mm_function * */
	struct mm_vec search_path; /* const char *; default { "public" } */
	bool known;                /* a source was given: unknown names are errors, not guesses */
	/* private lookup structures may follow; use the functions below */
	void *priv;
};

struct mm_model *mm_model_new(struct mm_ctx *ctx);

/* --- sources -------------------------------------------------------------------------------- */
/* Replay a SQL file (pg_dump -s output or migrations). Statements the model does not describe
 * (DML, GRANT, COMMENT, SET, ...) are skipped, said on stderr as notes when ctx->opt.verbose. */
int mm_model_load_file(struct mm_model *m, const char *path);
/* The same for SQL text in memory; name labels it in messages (load_text.c). */
int mm_model_load_text(struct mm_model *m, const char *name, const char *text);
/* Replay a migrations directory in its tool's order (Flyway, golang-migrate, dbmate, sqitch,
 * diesel, goose, Liquibase, mkmig's plain layout;
 * detected from the layout), up scripts only. */
int mm_model_load_dir(struct mm_model *m, const char *dir);
/* Read a live catalog (libpq conninfo); fills est_rows / est_bytes. */
int mm_model_load_db(struct mm_model *m, const char *conninfo);

/* Apply one parsed statement. origin says whether it is existing schema or compiled input.
 * With m->known set, a statement naming a missing table/column/index is an error at the
 * offending name's position ("column "user_nme" of relation "users" does not exist", hint
 * naming the nearest known name); without a source, unknown objects are created on the fly
 * where possible and left unknown otherwise. Returns 0 or -1. */
int mm_model_apply(struct mm_model *m, const struct mm_stmt *st, enum mm_origin origin);

/* --- lookups (stored names; schema NULL = search_path) --------------------------------------- */
struct mm_table *mm_model_find_table(const struct mm_model *m, const char *schema, const char *name);
struct mm_column *mm_table_find_column(const struct mm_table *t, const char *name);
struct mm_constraint *mm_table_find_constraint(const struct mm_table *t, const char *name);
struct mm_index *mm_model_find_index(const struct mm_model *m, const char *schema, const char *name);
struct mm_enum *mm_model_find_enum(const struct mm_model *m, const char *schema, const char *name);
struct mm_function *mm_model_find_function(const struct mm_model *m, const char *schema, const char *name);
struct mm_sequence *mm_model_find_sequence(const struct mm_model *m, const char *schema, const char *name);
/* True when any relation or index of that schema has that name (relation names share a namespace
 * with indexes and sequences: what PostgreSQL checks before naming a new index). */
bool mm_model_relname_taken(const struct mm_model *m, const char *schema, const char *name);
/* The table's primary key, or NULL. */
struct mm_constraint *mm_table_primary_key(const struct mm_table *t);
/* Views and materialized views that read the table (from view_deps). */
void mm_model_dependent_views(const struct mm_model *m, const struct mm_table *t, struct mm_vec *out);
/* Schema a name resolves to (the first search_path entry for an unqualified new object). */
const char *mm_model_default_schema(const struct mm_model *m);

/* Fold a name typed by a person as PostgreSQL's lexer does: "Quoted" keeps case (quotes removed,
 * "" undoubled), unquoted is lower-cased. */
char *mm_model_fold(struct mm_arena *a, const char *word);

/* Volatility of an expression (SQL text or tree): the worst of its function calls, by the
 * model's functions and a built-in table of PostgreSQL's own (now() stable, random() volatile,
 * gen_random_uuid() volatile, nextval() volatile, ...); MM_VOL_UNKNOWN for an unknown function. */
enum mm_volatility mm_model_expr_volatility(const struct mm_model *m, PgQuery__Node *expr);

/* --- PostgreSQL's choice of names for unnamed objects (indexcmds.c ChooseRelationName etc.) --- */
enum mm_name_space {
	MM_NAME_RELATION,          /* an index, table or sequence: free among relation names */
	MM_NAME_CONSTRAINT,        /* CHECK, FOREIGN KEY: free among the schema's constraint names */
	MM_NAME_CONSTRAINT_INDEX,  /* UNIQUE, PRIMARY KEY, EXCLUDE: both */
};
/* makeObjectName(name1, name2, label), then label1, label2, ... until the name is free in the
 * schema and not in also_taken (names chosen earlier but not yet in the model). */
char *mm_model_choose_name(const struct mm_model *m, const char *schema, const char *name1,
                           const char *name2, const char *label, const struct mm_vec *also_taken,
                           enum mm_name_space space);
/* ChooseIndexName for an IndexStmt on table. */
char *mm_model_choose_index_name(const struct mm_model *m, const char *schema, const char *table,
                                 const PgQuery__IndexStmt *ix, const struct mm_vec *also_taken);
/* ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: parts joined with "_", cut
 * at 63 bytes. */
char *mm_name_addition(struct mm_arena *a, const struct mm_vec *parts);
/* The name PostgreSQL gives a constraint added to t without one (col: a column constraint's
 * column); NULL for kinds it cannot name here (EXCLUDE). */
const char *mm_model_constraint_name(const struct mm_model *m, const struct mm_table *t,
                                     const PgQuery__Constraint *c, const char *col);
/* ConstraintNameExists: constraint names are unique per schema, across its tables. */
bool mm_model_constraint_name_taken(const struct mm_model *m, const char *schema, const char *name);

/* The integer type behind a serial type name (serial → integer, bigserial → bigint, ...), or
 * NULL when the type is not a serial. */
const char *mm_model_serial_type(const PgQuery__TypeName *tn);

/* Canonical, order-independent text of the whole model (for tests and `mkmig debug schema`):
 * one line per fact, sorted. Two models are equal when their dumps are equal. */
void mm_model_dump(const struct mm_model *m, struct mm_buf *out, bool with_estimates);

#endif
