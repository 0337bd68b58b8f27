/*
 * apply.c — replay of one statement into the model: the dispatch table by statement kind, the
 * smaller object kinds (schemas, sequences, enums, functions, triggers, views, search_path),
 * and replay of whole files. Statements the model does not describe (DML, GRANT, COMMENT,
 * OWNER TO, ...) are skipped, and said as notes with -v.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>


static void qname_of(PgQuery__Node **items, size_t n, const char **schema, const char **name)
{
	*schema = n >= 2 ? items[n - 2]->string->sval : NULL;
	*name = n ? items[n - 1]->string->sval : "";
}

static int apply_create_table(struct mm_apply *ap, PgQuery__Node *n)
{
	return mm_apply_create_table(ap, n->create_stmt);
}

static int apply_alter_table(struct mm_apply *ap, PgQuery__Node *n)
{
	return mm_apply_alter_table(ap, n->alter_table_stmt);
}

static int apply_schema(struct mm_apply *ap, PgQuery__Node *n)
{
	mm_model_add_schema(ap->m, n->create_schema_stmt->schemaname);
	return 0;
}

/* Sequence options the model keeps: AS type and OWNED BY. */
static void sequence_options(struct mm_apply *ap, struct mm_sequence *sq, PgQuery__Node **opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		PgQuery__DefElem *d = opts[i]->def_elem;
		if (strcmp(d->defname, "as") == 0 && d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_TYPE_NAME) {
			sq->type = mm_model_type_name(ap->m, d->arg->type_name);
		} else if (strcmp(d->defname, "owned_by") == 0 && d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_LIST) {
			PgQuery__List *l = d->arg->list;
			if (l->n_items == 1) { /* OWNED BY NONE */
				sq->owner_table = sq->owner_column = NULL;
			} else if (l->n_items >= 2) {
				sq->owner_table = l->items[l->n_items - 2]->string->sval;
				sq->owner_column = l->items[l->n_items - 1]->string->sval;
			}
		}
	}
}

static int apply_create_seq(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__CreateSeqStmt *cs = n->create_seq_stmt;
	const char *schema = mm_apply_schema(ap, cs->sequence);
	if (mm_model_find_sequence(ap->m, schema, cs->sequence->relname))
		return 0;
	struct mm_sequence *sq = mm_model_add_sequence(ap->m, schema, cs->sequence->relname);
	sequence_options(ap, sq, cs->options, cs->n_options);
	return 0;
}

static int apply_alter_seq(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__AlterSeqStmt *as = n->alter_seq_stmt;
	const char *schema = as->sequence->schemaname && *as->sequence->schemaname ? as->sequence->schemaname : NULL;
	struct mm_sequence *sq = mm_model_find_sequence(ap->m, schema, as->sequence->relname);
	if (sq)
		sequence_options(ap, sq, as->options, as->n_options);
	return 0;
}

static int apply_create_enum(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__CreateEnumStmt *ce = n->create_enum_stmt;
	const char *schema, *name;
	qname_of(ce->type_name, ce->n_type_name, &schema, &name);
	struct mm_enum *e = mm_model_add_enum(ap->m, schema ? schema : mm_model_default_schema(ap->m), name);
	for (size_t i = 0; i < ce->n_vals; i++)
		mm_vec_push(&ap->m->ctx->arena, &e->labels, ce->vals[i]->string->sval);
	return 0;
}

static int apply_alter_enum(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__AlterEnumStmt *ae = n->alter_enum_stmt;
	const char *schema, *name;
	qname_of(ae->type_name, ae->n_type_name, &schema, &name);
	struct mm_enum *e = mm_model_find_enum(ap->m, schema, name);
	if (!e)
		return mm_apply_missing(ap, -1, "type", name, NULL);
	struct mm_vec *l = &e->labels;
	if (ae->old_val && *ae->old_val) { /* RENAME VALUE */
		for (size_t i = 0; i < l->len; i++)
			if (strcmp(mm_vec_at(l, i), ae->old_val) == 0)
				l->items[i] = ae->new_val;
		return 0;
	}
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(mm_vec_at(l, i), ae->new_val) == 0)
			return 0; /* IF NOT EXISTS, or an error PostgreSQL would have reported */
	size_t at = l->len;
	if (ae->new_val_neighbor && *ae->new_val_neighbor)
		for (size_t i = 0; i < l->len; i++)
			if (strcmp(mm_vec_at(l, i), ae->new_val_neighbor) == 0)
				at = ae->new_val_is_after ? i + 1 : i;
	mm_vec_push(&ap->m->ctx->arena, l, NULL);
	memmove(&l->items[at + 1], &l->items[at], (l->len - 1 - at) * sizeof(void *));
	l->items[at] = ae->new_val;
	return 0;
}

static const struct {
	const char *word;
	enum mm_volatility vol;
} volatility_words[] = {
	{ "immutable", MM_VOL_IMMUTABLE },
	{ "stable", MM_VOL_STABLE },
	{ "volatile", MM_VOL_VOLATILE },
};

static int apply_create_function(struct mm_apply *ap, PgQuery__Node *n)
{
	struct mm_model *m = ap->m;
	PgQuery__CreateFunctionStmt *cf = n->create_function_stmt;
	const char *schema, *name;
	qname_of(cf->funcname, cf->n_funcname, &schema, &name);
	schema = schema ? schema : mm_model_default_schema(m);
	struct mm_buf args = MM_BUF_INIT;
	bool table_result = false;
	for (size_t i = 0; i < cf->n_parameters; i++) {
		PgQuery__FunctionParameter *p = cf->parameters[i]->function_parameter;
		if (p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE)
			table_result = true;
		if (p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_OUT ||
		    p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE)
			continue;
		mm_buf_addf(&args, "%s%s", args.len ? ", " : "", mm_model_type_name(m, p->arg_type));
	}
	/* CREATE OR REPLACE of the same name and arguments replaces; overloads are kept apart. */
	const char *argtext = mm_buf_arena(&args, &m->ctx->arena);
	mm_buf_release(&args);
	struct mm_function *f = NULL;
	for (size_t i = 0; i < m->functions.len && !f; i++) {
		struct mm_function *g = mm_vec_at(&m->functions, i);
		if (strcmp(g->schema, schema) == 0 && strcmp(g->name, name) == 0 && strcmp(g->args, argtext) == 0)
			f = g;
	}
	if (!f)
		f = mm_model_add_function(m, schema, name);
	f->args = argtext;
	f->volatility = MM_VOL_VOLATILE;
	f->language = "sql";
	f->returns = NULL;
	if (!cf->is_procedure) {
		PgQuery__TypeName *rt = cf->return_type;
		if (table_result)
			f->returns = "SETOF record";
		else if (rt)
			f->returns = mm_sprintf(&m->ctx->arena, "%s%s", rt->setof ? "SETOF " : "", mm_model_type_name(m, rt));
		else
			f->returns = "void"; /* only OUT parameters: PostgreSQL derives record or the type */
	}
	for (size_t i = 0; i < cf->n_options; i++) {
		PgQuery__DefElem *d = cf->options[i]->def_elem;
		if (strcmp(d->defname, "volatility") == 0 && d->arg->node_case == PG_QUERY__NODE__NODE_STRING) {
			for (size_t k = 0; k < MM_ARRAY_LEN(volatility_words); k++)
				if (strcmp(d->arg->string->sval, volatility_words[k].word) == 0)
					f->volatility = volatility_words[k].vol;
		} else if (strcmp(d->defname, "language") == 0 && d->arg->node_case == PG_QUERY__NODE__NODE_STRING) {
			f->language = mm_model_fold(&m->ctx->arena, d->arg->string->sval);
		}
	}
	return 0;
}

static int apply_create_trigger(struct mm_apply *ap, PgQuery__Node *n)
{
	struct mm_model *m = ap->m;
	PgQuery__CreateTrigStmt *ct = n->create_trig_stmt;
	int rc = 0;
	struct mm_table *t = mm_apply_table(ap, ct->relation, false, &rc);
	if (!t)
		return rc;
	const char *schema, *name;
	qname_of(ct->funcname, ct->n_funcname, &schema, &name);
	if (!schema) {
		struct mm_function *f = mm_model_find_function(m, NULL, name);
		schema = f ? f->schema : mm_model_default_schema(m);
	}
	struct mm_trigger *tg = NULL;
	for (size_t i = 0; i < t->triggers.len && !tg; i++)
		if (strcmp(((struct mm_trigger *)mm_vec_at(&t->triggers, i))->name, ct->trigname) == 0)
			tg = mm_vec_at(&t->triggers, i);
	if (!tg) {
		tg = mm_alloc(&m->ctx->arena, sizeof(*tg));
		mm_vec_push(&m->ctx->arena, &t->triggers, tg);
	}
	tg->name = ct->trigname;
	tg->function = mm_sprintf(&m->ctx->arena, "%s.%s", schema, name);
	tg->definition = ap->st->text;
	tg->type = (ct->row ? 1 : 0) | ct->timing | ct->events;
	return 0;
}

struct deps_acc {
	struct mm_apply *ap;
	struct mm_vec *deps;
	struct mm_vec ctes;
};

static bool collect_deps(PgQuery__Node *n, void *arg)
{
	struct deps_acc *acc = arg;
	struct mm_arena *a = &acc->ap->m->ctx->arena;
	if (n->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
		mm_vec_push(a, &acc->ctes, n->common_table_expr->ctename);
	if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return true;
	PgQuery__RangeVar *rv = n->range_var;
	bool qualified = rv->schemaname && *rv->schemaname;
	for (size_t i = 0; !qualified && i < acc->ctes.len; i++)
		if (strcmp(mm_vec_at(&acc->ctes, i), rv->relname) == 0)
			return true;
	struct mm_table *t = mm_model_find_table(acc->ap->m, qualified ? rv->schemaname : NULL, rv->relname);
	const char *key = t ? mm_sprintf(a, "%s.%s", t->schema, t->name)
	                    : mm_sprintf(a, "%s.%s", qualified ? rv->schemaname : mm_model_default_schema(acc->ap->m), rv->relname);
	for (size_t i = 0; i < acc->deps->len; i++)
		if (strcmp(mm_vec_at(acc->deps, i), key) == 0)
			return true;
	mm_vec_push(a, acc->deps, (void *)key);
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int define_view(struct mm_apply *ap, PgQuery__RangeVar *rv, PgQuery__Node *query, enum mm_relkind kind,
                       bool replace)
{
	struct mm_model *m = ap->m;
	const char *schema = mm_apply_schema(ap, rv);
	struct mm_table *v = mm_model_find_table(m, schema, rv->relname);
	if (v && !replace)
		return 0;
	if (!v)
		v = mm_model_add_table(m, schema, rv->relname, kind, ap->origin);
	v->view_deps = (struct mm_vec){ 0 };
	struct deps_acc acc = { ap, &v->view_deps, { 0 } };
	mm_sql_walk(query, collect_deps, &acc);
	if (v->view_deps.len > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(v->view_deps.items, v->view_deps.len, sizeof(void *), cmp_str);
	v->view_definition = mm_sql_deparse(m->ctx, query);
	return 0;
}

static int apply_view(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__ViewStmt *vs = n->view_stmt;
	return define_view(ap, vs->view, vs->query, MM_REL_VIEW, vs->replace);
}

static int apply_create_table_as(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__CreateTableAsStmt *cs = n->create_table_as_stmt;
	if (cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)
		return define_view(ap, cs->into->rel, cs->query, MM_REL_MATVIEW, false);
	/* CREATE TABLE AS: the columns' types come from the query, which the model cannot type. */
	const char *schema = mm_apply_schema(ap, cs->into->rel);
	if (!mm_model_find_table(ap->m, schema, cs->into->rel->relname))
		mm_model_add_table(ap->m, schema, cs->into->rel->relname, MM_REL_TABLE, ap->origin);
	if (ap->origin == MM_ORIGIN_INPUT)
		mm_warn(ap->m->ctx, ap->st->src, ap->st->off, ap->st->len,
		        "the columns of \"%s\" (CREATE TABLE AS) are not known to mkmig", cs->into->rel->relname);
	else if (ap->m->ctx->opt.verbose)
		mm_note(ap->m->ctx, ap->st->src, ap->st->off, 0, "the columns of \"%s\" (CREATE TABLE AS) are not modelled",
		        cs->into->rel->relname);
	return 0;
}

/* search_path: SET search_path and pg_dump's SELECT pg_catalog.set_config('search_path', '', false). */
static void set_search_path(struct mm_model *m, const char *list)
{
	m->search_path = (struct mm_vec){ 0 };
	char *copy = mm_strdup(&m->ctx->arena, list);
	for (char *tok = strtok(copy, ", "); tok; tok = strtok(NULL, ", ")) {
		const char *name = mm_model_fold(&m->ctx->arena, tok);
		if (strcmp(name, "$user") != 0 && strcmp(name, "pg_catalog") != 0)
			mm_vec_push(&m->ctx->arena, &m->search_path, (void *)name);
	}
	if (m->search_path.len == 0)
		mm_vec_push(&m->ctx->arena, &m->search_path, (void *)"public");
}

static int apply_set(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__VariableSetStmt *vs = n->variable_set_stmt;
	if (!vs->name || strcmp(vs->name, "search_path") != 0 || vs->is_local)
		return 0;
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < vs->n_args; i++) {
		PgQuery__Node *a = vs->args[i];
		if (a->node_case == PG_QUERY__NODE__NODE_A_CONST && a->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			mm_buf_addf(&b, "%s\"%s\"", i ? "," : "", a->a_const->sval->sval);
	}
	set_search_path(ap->m, b.len ? b.buf : "public");
	mm_buf_release(&b);
	return 0;
}

static int apply_select(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__SelectStmt *s = n->select_stmt;
	if (s->n_target_list != 1 || s->n_from_clause)
		return 1;
	PgQuery__Node *v = s->target_list[0]->res_target->val;
	if (!v || v->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return 1;
	PgQuery__FuncCall *f = v->func_call;
	if (strcmp(f->funcname[f->n_funcname - 1]->string->sval, "set_config") != 0 || f->n_args < 2)
		return 1;
	PgQuery__Node *name = f->args[0], *val = f->args[1];
	if (name->node_case != PG_QUERY__NODE__NODE_A_CONST || val->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    name->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL || val->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return 1;
	if (strcmp(name->a_const->sval->sval, "search_path") == 0)
		set_search_path(ap->m, val->a_const->sval->sval);
	return 0;
}

/* Statement kinds the model learns from; a handler returning 1 means "not modelled". */
static const struct stmt_kind {
	PgQuery__Node__NodeCase kind;
	int (*fn)(struct mm_apply *ap, PgQuery__Node *n);
} stmt_kinds[] = {
	{ PG_QUERY__NODE__NODE_CREATE_STMT, apply_create_table },
	{ PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, apply_alter_table },
	{ PG_QUERY__NODE__NODE_INDEX_STMT, mm_apply_index },
	{ PG_QUERY__NODE__NODE_DROP_STMT, mm_apply_drop },
	{ PG_QUERY__NODE__NODE_RENAME_STMT, mm_apply_rename },
	{ PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, apply_schema },
	{ PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, apply_create_seq },
	{ PG_QUERY__NODE__NODE_ALTER_SEQ_STMT, apply_alter_seq },
	{ PG_QUERY__NODE__NODE_CREATE_ENUM_STMT, apply_create_enum },
	{ PG_QUERY__NODE__NODE_ALTER_ENUM_STMT, apply_alter_enum },
	{ PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, apply_create_function },
	{ PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, apply_create_trigger },
	{ PG_QUERY__NODE__NODE_VIEW_STMT, apply_view },
	{ PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT, apply_create_table_as },
	{ PG_QUERY__NODE__NODE_VARIABLE_SET_STMT, apply_set },
	{ PG_QUERY__NODE__NODE_SELECT_STMT, apply_select },
};

int mm_model_apply(struct mm_model *m, const struct mm_stmt *st, enum mm_origin origin)
{
	struct mm_apply ap = { m, st, origin };
	for (size_t i = 0; i < MM_ARRAY_LEN(stmt_kinds); i++)
		if (stmt_kinds[i].kind == st->node->node_case) {
			int rc = stmt_kinds[i].fn(&ap, st->node);
			if (rc <= 0)
				return rc;
			break;
		}
	if (m->ctx->opt.verbose) {
		size_t n = strcspn(st->text, "\n(");
		mm_note(m->ctx, st->src, st->off, 0, "skipped (not part of the schema model): %.*s%s", (int)(n > 60 ? 60 : n),
		        st->text, n > 60 ? "..." : "");
	}
	return 0;
}

int mm_model_load_source(struct mm_model *m, struct mm_source *src)
{
	struct mm_stmt_list stmts = { 0 };
	if (mm_sql_parse(m->ctx, src, &stmts) != 0)
		return -1;
	/* Existing schema replays leniently: it ran on a real server once, so a name it uses that
	 * the model lacks is the model's gap (an object kind not modelled), not the user's error. */
	m->known = false;
	int rc = 0;
	for (size_t i = 0; i < stmts.items.len; i++)
		if (mm_model_apply(m, mm_vec_at(&stmts.items, i), MM_ORIGIN_EXISTING) != 0)
			rc = -1;
	m->known = true;
	return rc;
}

int mm_model_load_file(struct mm_model *m, const char *path)
{
	struct mm_source *src = mm_sql_read(m->ctx, path);
	if (!src)
		return -1;
	return mm_model_load_source(m, src);
}
