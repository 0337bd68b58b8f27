/*
 * deferral.c — drops that must follow a drop deferred to the contract phase.
 *
 * A DROP COLUMN moved to the contract phase keeps its column alive through expand and backfill;
 * a later DROP FUNCTION (TYPE, DOMAIN, SEQUENCE, ...) of the same input that the column's
 * default, generated expression, index, constraint or type uses would then run first and fail
 * ("cannot drop function f() because other objects depend on it"). So when a drop is deferred,
 * the definitions it still carries are remembered, and every later DROP of an object named in
 * them is deferred too, in input order; chains follow (a deferred DROP FUNCTION f(t) defers a
 * later DROP TYPE t). Names are matched as words in the canonical definitions, which also finds
 * a sequence named inside nextval('...').
 */
#include "plan_internal.h"

#include <ctype.h>
#include <string.h>

static void keep(struct mm_deferral *d, struct mm_arena *a, const char *text, const char *what)
{
	if (!text)
		return;
	mm_vec_push(a, &d->texts, (void *)text);
	mm_vec_push(a, &d->whats, (void *)what);
}

static bool mentions(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = text; n && (p = strstr(p, word)) != NULL; p++) {
		bool left = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool right = !(isalnum((unsigned char)p[n]) || p[n] == '_');
		if (left && right)
			return true;
	}
	return false;
}

static void keep_column(struct mm_deferral *d, struct mm_arena *a, const struct mm_column *c, const char *what)
{
	keep(d, a, c->type, what);
	keep(d, a, c->type_written, what);
	keep(d, a, c->default_expr, what);
	keep(d, a, c->generation_expr, what);
}

void mm_deferral_collect(struct mm_rule_ctx *r, struct mm_deferral *d, size_t first_step)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_change *ch = r->ch;
	if ((ch->kind != MM_CH_DROP_COLUMN && ch->kind != MM_CH_DROP_TABLE) || !r->table)
		return;
	bool deferred = false;
	for (size_t i = first_step; i < r->plan->steps.len; i++) {
		const struct mm_step *s = mm_vec_at(&r->plan->steps, i);
		deferred = deferred || (s->change == ch && s->phase == MM_PHASE_CONTRACT);
	}
	if (!deferred)
		return;
	const struct mm_table *t = r->table;
	const char *col = ch->kind == MM_CH_DROP_COLUMN ? ch->node->alter_table_cmd->name : NULL;
	const char *what = col ? mm_sprintf(a, "the drop of column %s.%s", r->qtable, mm_sql_ident(a, col))
	                       : mm_sprintf(a, "the drop of table %s", r->qtable);
	for (size_t i = 0; i < t->columns.len; i++) {
		const struct mm_column *c = mm_vec_at(&t->columns, i);
		if (!col || strcmp(c->name, col) == 0)
			keep_column(d, a, c, what);
	}
	for (size_t i = 0; i < t->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&t->indexes, i);
		if (!col || (ix->definition && mentions(ix->definition, col)))
			keep(d, a, ix->definition, what);
	}
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&t->constraints, i);
		if (!col || (k->definition && mentions(k->definition, col)))
			keep(d, a, k->definition, what);
	}
	for (size_t i = 0; !col && i < t->triggers.len; i++) {
		const struct mm_trigger *tg = mm_vec_at(&t->triggers, i);
		keep(d, a, tg->function, what);
		keep(d, a, tg->definition, what);
	}
}

/* The last name of each object a DROP names (function, type, sequence, ...). */
static void dropped_names(const PgQuery__DropStmt *ds, struct mm_arena *a, struct mm_vec *out)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *o = ds->objects[i];
		PgQuery__Node **items = NULL;
		size_t n = 0;
		if (o->node_case == PG_QUERY__NODE__NODE_LIST)
			items = o->list->items, n = o->list->n_items;
		else if (o->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS)
			items = o->object_with_args->objname, n = o->object_with_args->n_objname;
		else if (o->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
			items = o->type_name->names, n = o->type_name->n_names;
		else if (o->node_case == PG_QUERY__NODE__NODE_STRING)
			mm_vec_push(a, out, o->string->sval);
		if (n && items[n - 1]->node_case == PG_QUERY__NODE__NODE_STRING)
			mm_vec_push(a, out, items[n - 1]->string->sval);
	}
}

const char *mm_deferral_needs(struct mm_rule_ctx *r, struct mm_deferral *d)
{
	const PgQuery__Node *n = r->ch->node;
	if (!d->texts.len || n->node_case != PG_QUERY__NODE__NODE_DROP_STMT || r->ch->kind != MM_CH_OTHER)
		return NULL;
	struct mm_arena *a = &r->ctx->arena;
	struct mm_vec names = { 0 };
	dropped_names(n->drop_stmt, a, &names);
	for (size_t i = 0; i < names.len; i++)
		for (size_t k = 0; k < d->texts.len; k++)
			if (mentions(mm_vec_at(&d->texts, k), mm_model_fold(a, mm_vec_at(&names, i))) ||
			    mentions(mm_vec_at(&d->texts, k), mm_vec_at(&names, i))) {
				const char *what = mm_vec_at(&d->whats, k);
				/* Chains: what this drop's own statement names must wait as well. */
				keep(d, a, r->ch->stmt->text, mm_sprintf(a, "the deferred %s", mm_change_sql(r)));
				return what;
			}
	return NULL;
}
