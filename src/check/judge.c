/*
 * judge.c — hazards read off the plan. The planner already decided, for every change, whether
 * the statement as written is safe (it keeps it: one transactional step with the statement's own
 * SQL) or what to emit instead. So:
 *   - a change the planner rewrote is a hazard when the statement as written blocks traffic while
 *     it scans, rewrites or builds, or takes a blocking lock the plan avoids, or breaks the running
 *     application (the plan defers part of it to a later phase, or backfills); the lock and work
 *     reported are the lock authority's for the statement as written (src/plan/locks.c), and the
 *     fix is the plan's steps;
 *   - a change kept as written is a hazard when its step still blocks traffic while it scans or
 *     rewrites, or carries the planner's warning (no online form); otherwise, when it takes a
 *     blocking lock on an existing table with no lock_timeout set, missing-lock-timeout.
 * New planner rules therefore show up here without a change to check.
 */
#include "check_internal.h"
#include "../plan/plan_internal.h"
#include "mkmig/locks.h"

#include <stdlib.h>
#include <string.h>

/* Rough throughput of each kind of work, to turn a table's size (--db) into an expected duration:
 * a sequential scan reads ~200 MB/s, a rewrite or an index build writes and sorts at ~50 MB/s on
 * ordinary cloud disks. An order of magnitude, said as such in the output. */
static const double work_bytes_per_s[] = {
	[MM_WORK_CATALOG] = 0, [MM_WORK_SCAN] = 200e6, [MM_WORK_REWRITE] = 50e6, [MM_WORK_BUILD] = 50e6,
	[MM_WORK_BATCHES] = 0,
};
_Static_assert(MM_ARRAY_LEN(work_bytes_per_s) == MM_WORK__COUNT, "every work kind has a rate");

/* The rule of a hazard by change kind; OTHER by statement node or by the work it does. */
static const char *const kind_rules[] = {
	[MM_CH_CREATE_TABLE] = "blocking-statement",
	[MM_CH_CREATE_INDEX] = "index-blocking-build",
	[MM_CH_DROP_INDEX] = "index-blocking-drop",
	[MM_CH_ADD_COLUMN] = "add-column-rewrite",
	[MM_CH_SET_NOT_NULL] = "not-null-scan",
	[MM_CH_ADD_CONSTRAINT] = "constraint-validation-scan",
	[MM_CH_ALTER_TYPE] = "type-change-rewrite",
	[MM_CH_RENAME_COLUMN] = "rename-column",
	[MM_CH_RENAME_TABLE] = "rename-table",
	[MM_CH_DROP_COLUMN] = "drop-column",
	[MM_CH_DROP_TABLE] = "drop-table",
	[MM_CH_ADD_ENUM_VALUE] = "enum-value-in-transaction",
	[MM_CH_OTHER] = NULL,
};
_Static_assert(MM_ARRAY_LEN(kind_rules) == MM_CH__COUNT, "every change kind has a rule");

static const struct {
	PgQuery__Node__NodeCase node;
	const char *rule;
} node_rules[] = {
	{ PG_QUERY__NODE__NODE_UPDATE_STMT, "unbatched-dml" },
	{ PG_QUERY__NODE__NODE_DELETE_STMT, "unbatched-dml" },
	{ PG_QUERY__NODE__NODE_MERGE_STMT, "unbatched-dml" },
	{ PG_QUERY__NODE__NODE_INSERT_STMT, "unbatched-dml" }, /* INSERT ... SELECT: ROW EXCLUSIVE, many rows */
	{ PG_QUERY__NODE__NODE_CLUSTER_STMT, "blocking-rewrite" },
	{ PG_QUERY__NODE__NODE_VACUUM_STMT, "blocking-rewrite" },
	{ PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT, "blocking-rewrite" },
	{ PG_QUERY__NODE__NODE_REINDEX_STMT, "reindex-blocking" },
};

static const char *rule_for(const struct mm_change *ch, enum mm_work work);

const char *ck_rule_for_change(const struct mm_change *ch)
{
	return rule_for(ch, MM_WORK_CATALOG);
}

static const char *rule_for(const struct mm_change *ch, enum mm_work work)
{
	if (ch->kind == MM_CH_ADD_COLUMN && work == MM_WORK_BUILD)
		return "unique-index-build";
	if (ch->kind == MM_CH_ADD_CONSTRAINT) {
		PgQuery__ConstrType t = ch->node->alter_table_cmd->def->constraint->contype;
		if (t == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY || t == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE)
			return "unique-index-build";
		if (t == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)
			return "exclusion-constraint";
	}
	if (kind_rules[ch->kind])
		return kind_rules[ch->kind];
	for (size_t i = 0; i < MM_ARRAY_LEN(node_rules); i++)
		if (node_rules[i].node == ch->stmt->node->node_case)
			return node_rules[i].rule;
	if (work == MM_WORK_REWRITE || work == MM_WORK_BUILD)
		return "blocking-rewrite";
	if (work == MM_WORK_SCAN)
		return "blocking-scan";
	return "blocking-statement";
}

/* The table a change names, as written (NULL when it names none). */
static const PgQuery__RangeVar *change_relation(const struct mm_change *ch)
{
	const PgQuery__Node *n = ch->node;
	if (ch->relation)
		return ch->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
		return n->index_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT)
		return n->rename_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
		return n->create_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return n->alter_table_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
		return n->update_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
		return n->delete_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT)
		return n->cluster_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT)
		return n->refresh_mat_view_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT)
		return n->reindex_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_TRIG_STMT)
		return n->create_trig_stmt->relation;
	if (n->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT)
		return n->truncate_stmt->n_relations ? n->truncate_stmt->relations[0]->range_var : NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_LOCK_STMT)
		return n->lock_stmt->n_relations ? n->lock_stmt->relations[0]->range_var : NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT)
		return n->vacuum_stmt->n_rels && n->vacuum_stmt->rels[0]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION
		           ? n->vacuum_stmt->rels[0]->vacuum_relation->relation
		           : NULL;
	return NULL;
}

/* The model's table for a change, after the file was planned (origin INPUT: created by this or
 * an earlier file of the input). DROP INDEX names an index: its table. */
static const struct mm_table *change_table(const struct mm_model *m, const struct mm_change *ch, const char **qname,
                                           struct mm_arena *a)
{
	const PgQuery__RangeVar *rv = change_relation(ch);
	*qname = NULL;
	if (!rv && ch->kind == MM_CH_DROP_INDEX && ch->node->drop_stmt->n_objects) {
		const PgQuery__Node *o = ch->node->drop_stmt->objects[0];
		if (o->node_case == PG_QUERY__NODE__NODE_LIST && o->list->n_items) {
			size_t k = o->list->n_items;
			const char *name = o->list->items[k - 1]->string->sval;
			const char *schema = k > 1 ? o->list->items[k - 2]->string->sval : NULL;
			const struct mm_index *ix = mm_model_find_index(m, schema, name);
			if (ix) {
				*qname = mm_sql_qname(a, ix->schema, ix->table);
				return mm_model_find_table(m, ix->schema, ix->table);
			}
		}
		return NULL;
	}
	if (!rv)
		return NULL;
	const char *schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	const struct mm_table *t = mm_model_find_table(m, schema, rv->relname);
	*qname = mm_sql_qname(a, t ? t->schema : schema ? schema : mm_model_default_schema(m), rv->relname);
	return t;
}

/* Is every table the change names one a DO block of the input created before it? */
static bool made_in_do(const struct ck_file *f, const struct mm_change *ch)
{
	if (!f->c->do_tables.len)
		return false;
	const PgQuery__Node *n = ch->node;
	if (ch->kind == MM_CH_DROP_TABLE && n->node_case == PG_QUERY__NODE__NODE_DROP_STMT) {
		const PgQuery__DropStmt *d = n->drop_stmt;
		for (size_t i = 0; i < d->n_objects; i++) {
			const PgQuery__Node *o = d->objects[i];
			if (o->node_case != PG_QUERY__NODE__NODE_LIST || !o->list->n_items)
				return false;
			size_t k = o->list->n_items;
			const char *name = o->list->items[k - 1]->string->sval;
			const char *schema = k > 1 ? o->list->items[k - 2]->string->sval : NULL;
			if (!ck_created_in_do(f, schema, name, ch->stmt->off))
				return false;
		}
		return d->n_objects > 0;
	}
	const PgQuery__RangeVar *rv = change_relation(ch);
	return rv && ck_created_in_do(f, rv->schemaname, rv->relname, ch->stmt->off);
}

/* The statement as written for a change: the text, or one subcommand of an ALTER TABLE rebuilt
 * around it (what the planner titles a step it keeps). */
static const char *change_text(struct mm_ctx *ctx, const struct mm_change *ch)
{
	if (ch->sub_count <= 1)
		return ch->stmt->text;
	PgQuery__AlterTableStmt *at = mm_alloc(&ctx->arena, sizeof(*at));
	*at = *ch->stmt->node->alter_table_stmt;
	at->cmds = mm_alloc(&ctx->arena, sizeof(*at->cmds));
	at->cmds[0] = ch->node;
	at->n_cmds = 1;
	PgQuery__Node *n = mm_alloc(&ctx->arena, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	n->alter_table_stmt = at;
	const char *sql = mm_sql_deparse(ctx, n);
	return sql ? sql : ch->stmt->text;
}

/* Is a step's title the statement's text? Titles are one line with whitespace runs collapsed and
 * cut with "..." past 200 bytes (src/plan/steps.c), so compare that way. */
static bool title_is(const char *title, const char *text)
{
	size_t tl = strlen(title);
	bool cut = tl >= 3 && strcmp(title + tl - 3, "...") == 0;
	const char *t = title, *end = title + (cut ? tl - 3 : tl);
	const char *p = text;
	while (*p && strchr(" \t\r\n\f\v", *p))
		p++;
	while (t < end) {
		if (strchr(" \t\r\n\f\v", *p)) {
			while (*p && strchr(" \t\r\n\f\v", *p))
				p++;
			if (*t != ' ')
				return false;
			t++;
			continue;
		}
		if (*t++ != *p++)
			return false;
	}
	while (!cut && *p && strchr(" \t\r\n\f\v", *p))
		p++;
	return cut || !*p;
}

/* The plan's steps as SQL: each step's statements under a comment saying how it runs. */
static const char *fix_sql(struct mm_ctx *ctx, const struct mm_vec *steps)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < steps->len; i++) {
		const struct mm_step *s = mm_vec_at(steps, i);
		mm_buf_addf(&b, "-- step %zu/%zu (%s, %s): %s\n", i + 1, steps->len, mm_phase_name(s->phase),
		            mm_unit_name(s->unit), s->title);
		if (s->plpgsql)
			mm_buf_adds(&b, "DO $mkmig$\nBEGIN\n");
		for (size_t k = 0; k < s->up.len; k++) {
			const char *p = mm_sprintf(&ctx->arena, "%s;\n", (const char *)mm_vec_at(&s->up, k));
			/* PL/pgSQL statements go inside the DO block, every line indented. */
			while (*p) {
				const char *e = strchr(p, '\n');
				size_t n = e ? (size_t)(e - p + 1) : strlen(p);
				if (s->plpgsql)
					mm_buf_adds(&b, "    ");
				mm_buf_add(&b, p, n);
				p += n;
			}
		}
		if (s->plpgsql)
			mm_buf_adds(&b, "END\n$mkmig$;\n");
	}
	return ck_buf_take(&b, &ctx->arena);
}

/* The lock and work of the statement as written, from the lock authority (mkmig/locks.h): the
 * strongest of its per-table locks (ties: the heavier work), and the table it is on. A
 * subcommand of a multi-command ALTER TABLE takes its own (the statement's would merge them all). */
static void naive_lock(struct mm_ctx *ctx, const struct mm_model *m, const struct mm_change *ch, enum mm_lock *lock,
                       enum mm_work *work, const char **table)
{
	*lock = MM_LOCK_NONE;
	*work = MM_WORK_CATALOG;
	*table = NULL;
	if (ch->node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD && ch->sub_count > 1) {
		mm_locks_alter_cmd(ch->node->alter_table_cmd, ctx->opt.pg_version, lock, work);
		return;
	}
	const PgQuery__Node *stmt = ch->node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ? ch->stmt->node : ch->node;
	struct mm_stmt_locks locks;
	mm_locks_of_stmt(ctx, stmt, ctx->opt.pg_version, &locks);
	for (size_t i = 0; i < locks.items.len; i++) {
		const struct mm_stmt_lock *l = mm_vec_at(&locks.items, i);
		if (l->mode > *lock || (l->mode == *lock && mm_work_rank(l->work) > mm_work_rank(*work))) {
			*lock = l->mode, *work = l->work;
			const struct mm_table *t = l->name && !l->is_index ? mm_model_find_table(m, l->schema, l->name) : NULL;
			*table = !l->name || l->is_index ? NULL
			         : mm_sql_qname(&ctx->arena, t ? t->schema : l->schema ? l->schema : mm_model_default_schema(m), l->name);
		}
	}
}

/* One table, qualified or not (a table the model does not know keeps the name as written). */
static bool same_table(const char *a, const char *b)
{
	if (!b || mm_streq(a, b))
		return true;
	const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
	return (!da && db && strcmp(db + 1, a) == 0) || (da && !db && strcmp(da + 1, b) == 0);
}

/* The step's other blocking locks, on other tables (an inline REFERENCES: the referenced
 * table's SHARE ROW EXCLUSIVE), as ", and MODE on TABLE" parts. */
static const char *other_blocking(struct mm_ctx *ctx, const struct mm_vec *locks, const char *qtable)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < locks->len; i++) {
		const struct mm_lock_use *l = mm_vec_at(locks, i);
		if (mm_lock_blocks_traffic(l->mode) && l->table && !same_table(l->table, qtable))
			mm_buf_addf(&b, ", and %s on %s", mm_lock_name(l->mode), l->table);
	}
	return b.len ? ck_buf_take(&b, &ctx->arena) : "";
}

/* A validated CHECK (col IS NOT NULL) lets SET NOT NULL skip its scan from PostgreSQL 12. */
static bool not_null_proven(const struct ck_file *f, const struct mm_table *t, const struct mm_change *ch)
{
	if (f->ctx->opt.pg_version < 12 || ch->kind != MM_CH_SET_NOT_NULL)
		return false;
	const char *col = ch->node->alter_table_cmd->name;
	if (ch->relation && ck_not_null_proven(f, ch->relation->relname, col))
		return true;
	if (!t)
		return false;
	char want[200];
	snprintf(want, sizeof(want), "(%s IS NOT NULL)", col);
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&t->constraints, i);
		if (k->type == MM_CON_CHECK && k->validated && k->definition && strstr(k->definition, want))
			return true;
	}
	return false;
}

static void add_size(struct mm_finding *x, const struct mm_table *t, struct mm_check *c)
{
	if (!x || !t || t->origin != MM_ORIGIN_EXISTING)
		return;
	x->rows = t->est_rows;
	x->bytes = t->est_bytes;
	if (x->bytes >= 0 && work_bytes_per_s[x->work] > 0)
		x->seconds = (double)x->bytes / work_bytes_per_s[x->work];
	if (t->est_rows >= 0 && t->est_rows <= c->opt.small_table)
		x->severity = MM_NOTE;
}

struct step_ref {
	const struct mm_change *ch;
	size_t index;
};

static int cmp_ref(const void *pa, const void *pb)
{
	const struct step_ref *a = pa, *b = pb;
	if (a->ch != b->ch)
		return (uintptr_t)a->ch < (uintptr_t)b->ch ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void judge_change(struct ck_file *f, const struct ck_stmt *s, const struct mm_change *ch, const struct mm_vec *steps)
{
	struct mm_ctx *ctx = f->ctx;
	const char *qtable;
	const struct mm_table *t = change_table(f->c->model, ch, &qtable, &ctx->arena);
	if (!steps->len)
		return;
	const struct mm_step *first = mm_vec_at(steps, 0);
	/* Created earlier in the input: nobody uses it yet. The plan knows it as of the change (the
	 * model after the file may have renamed or dropped the table since); a table a DO block made
	 * only check knows of. */
	if ((t && t->origin == MM_ORIGIN_INPUT) || first->table_new || made_in_do(f, ch)) {
		((struct ck_stmt *)s)->fresh = true;
		return;
	}
	/* One row by its key: an index lookup, whatever the planner makes of it. */
	if ((ch->kind == MM_CH_UPDATE || ch->kind == MM_CH_DELETE || ch->kind == MM_CH_OTHER) && ck_single_row(&ctx->arena, t, ch->node))
		return;
	for (size_t i = 0; i < steps->len && !qtable; i++) {
		/* Dropped objects are gone from the model: the plan still names their table. */
		const struct mm_step *st = mm_vec_at(steps, i);
		if (st->locks.len)
			qtable = ((const struct mm_lock_use *)mm_vec_at(&st->locks, 0))->table;
	}
	bool kept = steps->len == 1 && first->unit == MM_UNIT_TX && first->phase == MM_PHASE_EXPAND &&
	            title_is(first->title, change_text(ctx, ch));
	enum mm_lock lock;
	enum mm_work work;
	const char *ltable;
	naive_lock(ctx, f->c->model, ch, &lock, &work, &ltable);
	/* ADD COLUMN scans or builds only for an inline CHECK, REFERENCES, UNIQUE or PRIMARY KEY,
	 * which the planner plans as an ADD CONSTRAINT change of its own: judged there, not twice. */
	if (ch->kind == MM_CH_ADD_COLUMN && (work == MM_WORK_SCAN || work == MM_WORK_BUILD))
		work = MM_WORK_CATALOG;
	if (ltable)
		qtable = ltable; /* the table the strongest lock is on (ATTACH PARTITION: the partition) */
	bool blocks = mm_lock_blocks_traffic(lock);
	if (kept) {
		/* The planner's own view of the step it keeps (e.g. a widening type change is catalog only). */
		for (size_t i = 0; i < first->locks.len; i++) {
			const struct mm_lock_use *l = mm_vec_at(&first->locks, i);
			if (i == 0 || l->mode > lock)
				lock = l->mode, work = l->work, qtable = l->table;
		}
		blocks = mm_lock_blocks_traffic(lock);
		/* A CONCURRENTLY form is the online form by definition (its transaction rule is txn.c's). */
		bool heavy = blocks && work != MM_WORK_CATALOG && !not_null_proven(f, t, ch) &&
		             !ck_stmt_non_tx(ch->stmt->node, ctx->opt.pg_version);
		if (first->warning || heavy) {
			const char *rid = rule_for(ch, work);
			struct mm_finding *x = ck_add(f, s, rid, ch->loc, 0, "%s (%s on %s); mkmig has no online form for it",
			                              mm_check_rule_find(rid)->summary, mm_lock_name(lock), qtable ? qtable : "the table");
			if (x) {
				x->has_lock = true, x->lock = lock, x->work = work, x->table = qtable;
				x->note = first->warning ? first->warning : first->why;
				add_size(x, t, f->c);
			}
			return;
		}
		if (blocks && !s->lock_timeout && !ck_stmt_non_tx(ch->stmt->node, ctx->opt.pg_version)) {
			struct mm_finding *x = ck_add(f, s, "missing-lock-timeout", ch->loc, 0,
			                              "takes %s on %s%s without lock_timeout: while it waits for the lock, every "
			                              "later query on the table waits behind it",
			                              mm_lock_name(lock), qtable ? qtable : "the table",
			                              other_blocking(ctx, &first->locks, qtable));
			if (x) {
				x->has_lock = true, x->lock = lock, x->work = work, x->table = qtable;
				x->fix = mm_sprintf(&ctx->arena, "SET lock_timeout = '%dms';  -- and retry when it times out\n%s;\n",
				                    ctx->opt.lock_timeout_ms, change_text(ctx, ch));
				x->note = "mkmig's output runs it under lock_timeout with retries and back-off";
			}
		}
		return;
	}
	/* Rewritten by the planner. */
	bool plan_blocks = false, later = false, batches = false, nontx = false;
	for (size_t i = 0; i < steps->len; i++) {
		const struct mm_step *st = mm_vec_at(steps, i);
		later = later || st->phase != MM_PHASE_EXPAND;
		batches = batches || st->unit == MM_UNIT_BATCH;
		nontx = nontx || st->unit == MM_UNIT_NONTX;
		for (size_t k = 0; k < st->locks.len; k++)
			plan_blocks = plan_blocks || mm_lock_blocks_traffic(((const struct mm_lock_use *)mm_vec_at(&st->locks, k))->mode);
	}
	if (batches && work == MM_WORK_CATALOG && ch->kind == MM_CH_ADD_COLUMN)
		work = MM_WORK_REWRITE; /* the plan backfills what the statement would rewrite */
	else if (nontx && work == MM_WORK_CATALOG && ch->kind == MM_CH_ADD_COLUMN)
		work = MM_WORK_BUILD; /* the plan builds concurrently an index the statement builds inline */
	/* ADD VALUE before 12 is a transaction matter, not a lock one: txn.c reports it where it runs in
	 * a transaction block. */
	bool hazard = (blocks && work != MM_WORK_CATALOG) || (blocks && !plan_blocks) || later || batches;
	if (not_null_proven(f, t, ch))
		hazard = false;
	if (!hazard) {
		if (blocks && !s->lock_timeout) {
			struct mm_finding *x = ck_add(f, s, "missing-lock-timeout", ch->loc, 0,
			                              "takes %s on %s%s without lock_timeout: while it waits for the lock, every "
			                              "later query on the table waits behind it",
			                              mm_lock_name(lock), qtable ? qtable : "the table",
			                              other_blocking(ctx, &first->locks, qtable));
			if (x) {
				x->has_lock = true, x->lock = lock, x->work = work, x->table = qtable;
				x->fix = fix_sql(ctx, steps);
			}
		}
		return;
	}
	/* A plan that still does the same work under as strong a lock (SET NOT NULL before 12) is no
	 * fix: the statement is reported like one kept for want of an online form. */
	const struct mm_step *same = NULL;
	for (size_t i = 0; i < steps->len && !same && blocks && work != MM_WORK_CATALOG; i++) {
		const struct mm_step *st = mm_vec_at(steps, i);
		for (size_t k = 0; k < st->locks.len && !same; k++) {
			const struct mm_lock_use *l = mm_vec_at(&st->locks, k);
			if (mm_lock_blocks_traffic(l->mode) && l->work == work && l->mode >= lock)
				same = st;
		}
	}
	const char *rid = rule_for(ch, work);
	struct mm_finding *x = ck_add(f, s, rid, ch->loc, 0, same ? "%s (%s on %s); mkmig has no online form for it" : "%s (%s on %s)",
	                              mm_check_rule_find(rid)->summary, mm_lock_name(lock), qtable ? qtable : "the table");
	if (!x)
		return;
	x->has_lock = lock != MM_LOCK_NONE, x->lock = lock, x->work = work, x->table = qtable;
	if (same) {
		x->note = same->warning ? same->warning : same->why;
		add_size(x, t, f->c);
		return;
	}
	x->fix = fix_sql(ctx, steps);
	/* The reason of the step that does the work (the concurrent build, the validation), else the
	 * first reason given. */
	for (size_t i = 0; i < steps->len && !x->note; i++) {
		const struct mm_step *st = mm_vec_at(steps, i);
		for (size_t k = 0; k < st->locks.len && !x->note; k++)
			if (((const struct mm_lock_use *)mm_vec_at(&st->locks, k))->work != MM_WORK_CATALOG)
				x->note = st->why;
	}
	for (size_t i = 0; i < steps->len && !x->note; i++)
		x->note = ((const struct mm_step *)mm_vec_at(steps, i))->why;
	for (size_t i = 0; i < steps->len; i++) {
		const struct mm_step *st = mm_vec_at(steps, i);
		if (st->warning)
			x->note = st->warning;
	}
	add_size(x, t, f->c);
}

static int cmp_ptr(const void *pa, const void *pb)
{
	uintptr_t a = *(const uintptr_t *)pa, b = *(const uintptr_t *)pb;
	return a < b ? -1 : a > b;
}

/* The file's statement a change was written in (statements are in source order). */
static const struct ck_stmt *stmt_at(const struct ck_file *f, const struct mm_stmt *st)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->stmts[mid].st->off < st->off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && f->stmts[lo].st == st ? &f->stmts[lo] : NULL;
}

void ck_judge(struct ck_file *f, const struct mm_change_list *changes, const struct mm_plan *plan)
{
	size_t n = plan->steps.len;
	struct step_ref *refs = mm_alloc(&f->ctx->arena, (n ? n : 1) * sizeof(*refs));
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct step_ref){ ((const struct mm_step *)mm_vec_at(&plan->steps, i))->change, i };
	qsort(refs, n, sizeof(*refs), cmp_ref);
	size_t nch = changes->items.len;
	uintptr_t *listed = mm_alloc(&f->ctx->arena, (nch ? nch : 1) * sizeof(*listed));
	for (size_t i = 0; i < nch; i++)
		listed[i] = (uintptr_t)mm_vec_at(&changes->items, i);
	qsort(listed, nch, sizeof(*listed), cmp_ptr);
	/* Each group of steps with one change, in the change's order; a rule may plan part of a
	 * change as a change of its own (an inline constraint of ADD COLUMN as ADD CONSTRAINT), which
	 * is judged like the others. */
	for (size_t i = 0; i < nch; i++) {
		const struct mm_change *ch = mm_vec_at(&changes->items, i);
		const struct ck_stmt *s = stmt_at(f, ch->stmt);
		if (!s)
			MM_BUG("change without its statement");
		struct mm_vec steps = { 0 };
		struct step_ref key = { ch, 0 };
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cmp_ref(&refs[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < n && refs[k].ch == ch; k++)
			mm_vec_push(&f->ctx->arena, &steps, mm_vec_at(&plan->steps, refs[k].index));
		if (steps.len && ((const struct mm_step *)mm_vec_at(&steps, 0))->table_new)
			((struct ck_stmt *)s)->fresh = true;
		judge_change(f, s, ch, &steps);
	}
	for (size_t k = 0; k < n;) {
		const struct mm_change *ch = refs[k].ch;
		struct mm_vec steps = { 0 };
		for (; k < n && refs[k].ch == ch; k++)
			mm_vec_push(&f->ctx->arena, &steps, mm_vec_at(&plan->steps, refs[k].index));
		uintptr_t key = (uintptr_t)ch;
		if (!ch || !ch->stmt || bsearch(&key, listed, nch, sizeof(*listed), cmp_ptr))
			continue; /* judged above, or a step of the plan's own (no change behind it) */
		const struct ck_stmt *s = stmt_at(f, ch->stmt);
		if (s)
			judge_change(f, s, ch, &steps);
	}
}
