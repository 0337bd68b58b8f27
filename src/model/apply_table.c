/*
 * apply_table.c — replay of CREATE TABLE and ALTER TABLE into the model: columns, constraints
 * with the names PostgreSQL would choose, and what partitioning propagates to partitions.
 *
 * Definitions are kept in the catalog's own shapes (pg_get_constraintdef, pg_get_indexdef) so the
 * planner can re-emit them and so they compare with a model read from a live database.
 */
#include "model_internal.h"

#include <string.h>

static PgQuery__Node **str_list(struct mm_arena *a, const struct mm_vec *v)
{
	PgQuery__Node **out = mm_alloc(a, (v->len + 1) * sizeof(*out));
	for (size_t i = 0; i < v->len; i++)
		out[i] = mm_sql_string_node(a, mm_vec_at(v, i));
	return out;
}

static void names_of(struct mm_arena *a, PgQuery__Node **items, size_t n, struct mm_vec *out)
{
	for (size_t i = 0; i < n; i++) {
		PgQuery__Node *it = items[i];
		if (it->node_case == PG_QUERY__NODE__NODE_STRING)
			mm_vec_push(a, out, it->string->sval);
		else if (it->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM)
			mm_vec_push(a, out, it->index_elem->name && *it->index_elem->name ? it->index_elem->name : (char *)"");
	}
}

static struct mm_vec column_list(struct mm_arena *a, const char *col)
{
	struct mm_vec v = { 0 };
	mm_vec_push(a, &v, (void *)col);
	return v;
}

/* The unique index behind a PRIMARY KEY / UNIQUE / EXCLUDE constraint, in pg_get_indexdef form. */
static struct mm_index *constraint_index(struct mm_apply *ap, struct mm_table *t, const char *name,
                                         PgQuery__Constraint *c, const struct mm_vec *cols)
{
	struct mm_model *m = ap->m;
	struct mm_arena *a = &m->ctx->arena;
	struct mm_buf b = MM_BUF_INIT;
	bool excl = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION;
	mm_buf_addf(&b, "CREATE %sINDEX ", excl ? "" : "UNIQUE ");
	mm_buf_add_ident(&b, name);
	mm_buf_addf(&b, " ON %s USING %s (", mm_sql_qname(a, t->schema, t->name),
	            c->access_method && *c->access_method ? c->access_method : excl ? "gist" : "btree");
	if (excl) {
		for (size_t i = 0; i < c->n_exclusions; i++) {
			/* Each exclusion is (IndexElem, operator name list); the index definition, as
			 * pg_get_indexdef prints it, names only the elements. */
			PgQuery__List *pair = c->exclusions[i]->list;
			PgQuery__IndexElem *el = pair->items[0]->index_elem;
			mm_buf_adds(&b, i ? ", " : "");
			if (el->name && *el->name) {
				mm_buf_add_ident(&b, el->name);
			} else {
				const char *e = mm_sql_deparse_expr(m->ctx, el->expr);
				mm_buf_addf(&b, "(%s)", e ? e : "?");
			}

		}
	} else {
		for (size_t i = 0; i < cols->len; i++) {
			mm_buf_adds(&b, i ? ", " : "");
			mm_buf_add_ident(&b, mm_vec_at(cols, i));
		}
	}
	mm_buf_addch(&b, ')');
	if (c->n_including) {
		struct mm_vec inc = { 0 };
		names_of(a, c->including, c->n_including, &inc);
		mm_buf_adds(&b, " INCLUDE (");
		for (size_t i = 0; i < inc.len; i++) {
			mm_buf_adds(&b, i ? ", " : "");
			mm_buf_add_ident(&b, mm_vec_at(&inc, i));
		}
		mm_buf_addch(&b, ')');
	}
	if (c->nulls_not_distinct)
		mm_buf_adds(&b, " NULLS NOT DISTINCT");
	if (c->where_clause) {
		const char *w = mm_sql_deparse_expr(m->ctx, c->where_clause);
		mm_buf_addf(&b, " WHERE (%s)", w ? w : "?");
	}
	struct mm_index *ix = mm_model_add_index(m, t, name);
	ix->origin = ap->origin;
	ix->definition = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	ix->unique = !excl;
	ix->primary = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	ix->partial = c->where_clause != NULL;
	for (size_t i = 0; i < cols->len; i++)
		mm_vec_push(a, &ix->columns, mm_vec_at(cols, i));
	return ix;
}

static const char *fk_addition(struct mm_arena *a, const struct mm_vec *cols)
{
	return cols->len ? mm_name_addition(a, cols) : NULL;
}

const char *mm_model_constraint_name(const struct mm_model *cm, const struct mm_table *t,
                                     const PgQuery__Constraint *c, const char *col)
{
	struct mm_model *m = (struct mm_model *)cm;
	struct mm_arena *a = &m->ctx->arena;
	if (c->conname && *c->conname)
		return c->conname;
	struct mm_vec cols = { 0 };
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		mm_sql_column_refs(a, c->raw_expr, &cols);
		return mm_model_choose_name(m, t->schema, t->name, cols.len == 1 ? mm_vec_at(&cols, 0) : NULL, "check", NULL,
		                            MM_NAME_CONSTRAINT);
	}
	if (col)
		cols = column_list(a, col);
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
		if (!col)
			names_of(a, c->fk_attrs, c->n_fk_attrs, &cols);
		return mm_model_choose_name(m, t->schema, t->name, fk_addition(a, &cols), "fkey", NULL, MM_NAME_CONSTRAINT);
	}
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
		return mm_model_choose_name(m, t->schema, t->name, NULL, "pkey", NULL, MM_NAME_CONSTRAINT_INDEX);
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) {
		if (!col)
			names_of(a, c->keys, c->n_keys, &cols);
		return mm_model_choose_name(m, t->schema, t->name, fk_addition(a, &cols), "key", NULL, MM_NAME_CONSTRAINT_INDEX);
	}
	return NULL;
}

/* Add a table constraint (column-level ones arrive with their column in `col`). The name is
 * PostgreSQL's choice when none was written. Returns the constraint or NULL. */
static struct mm_constraint *add_constraint(struct mm_apply *ap, struct mm_table *t, PgQuery__Constraint *c,
                                            const char *col, const char *parent_index, int *rc)
{
	struct mm_model *m = ap->m;
	struct mm_arena *a = &m->ctx->arena;
	PgQuery__Constraint work = *c;
	struct mm_vec cols = { 0 };
	enum mm_contype type;
	const char *name = c->conname && *c->conname ? c->conname : NULL;

	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		type = MM_CON_CHECK;
		struct mm_vec refs = { 0 };
		mm_sql_column_refs(a, c->raw_expr, &refs);
		cols = refs;
		if (!name)
			name = mm_model_choose_name(m, t->schema, t->name, refs.len == 1 ? mm_vec_at(&refs, 0) : NULL,
			                            "check", NULL, MM_NAME_CONSTRAINT);
	} else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
		type = MM_CON_FOREIGN;
		if (col) {
			cols = column_list(a, col);
			work.n_fk_attrs = 1;
			work.fk_attrs = str_list(a, &cols);
		} else {
			names_of(a, c->fk_attrs, c->n_fk_attrs, &cols);
		}
		if (!name)
			name = mm_model_choose_name(m, t->schema, t->name, fk_addition(a, &cols), "fkey", NULL,
			                            MM_NAME_CONSTRAINT);
	} else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
	           c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
	           c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION) {
		type = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY  ? MM_CON_PRIMARY
		       : c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ? MM_CON_UNIQUE
		                                                            : MM_CON_EXCLUSION;
		if (c->indexname && *c->indexname) {
			/* ADD CONSTRAINT ... USING INDEX: the index becomes the constraint's, renamed to it. */
			struct mm_index *ix = mm_model_find_index(m, t->schema, c->indexname);
			if (!ix) {
				*rc = mm_apply_missing(ap, c->location, "index", c->indexname, NULL);
				return NULL;
			}
			for (size_t i = 0; i < ix->columns.len; i++)
				mm_vec_push(a, &cols, mm_vec_at(&ix->columns, i));
			if (!name)
				name = ix->name;
			work.n_keys = cols.len;
			work.keys = str_list(a, &cols);
			work.indexname = "";
		} else if (col) {
			cols = column_list(a, col);
			work.n_keys = 1;
			work.keys = str_list(a, &cols);
		} else if (type == MM_CON_EXCLUSION) {
			for (size_t i = 0; i < c->n_exclusions; i++) {
				PgQuery__Node *e = c->exclusions[i]->list->items[0];
				mm_vec_push(a, &cols, e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && e->index_elem->name
				                          ? e->index_elem->name
				                          : (char *)"");
			}
		} else {
			names_of(a, c->keys, c->n_keys, &cols);
		}
		if (!name) {
			const char *label = type == MM_CON_PRIMARY ? "pkey" : type == MM_CON_UNIQUE ? "key" : "excl";
			name = mm_model_choose_name(m, t->schema, t->name, type == MM_CON_PRIMARY ? NULL : fk_addition(a, &cols),
			                            label, NULL, MM_NAME_CONSTRAINT_INDEX);
		}
	} else {
		return NULL; /* attribute markers (DEFERRABLE ...) were folded in by the parser */
	}
	if (mm_table_find_constraint(t, name)) {
		*rc = mm_error(m->ctx, ap->st->src, c->location >= 0 ? (size_t)c->location : ap->st->off, 0,
		               "constraint \"%s\" for relation \"%s\" already exists", name, t->name);
		return NULL;
	}

	struct mm_constraint *k = mm_table_add_constraint(m, t, name, type);
	k->origin = ap->origin;
	k->columns = cols;
	k->validated = !c->skip_validation;
	k->deferrable = c->deferrable;
	k->deferred = c->initdeferred;
	if (type == MM_CON_FOREIGN) {
		PgQuery__RangeVar *pk = mm_alloc(a, sizeof(*pk));
		*pk = *c->pktable;
		struct mm_table *rt = mm_model_find_table(m, pk->schemaname && *pk->schemaname ? pk->schemaname : NULL,
		                                          pk->relname);
		if (!rt && m->known && !(strcmp(pk->relname, t->name) == 0)) {
			*rc = mm_apply_missing(ap, pk->location, "relation", pk->relname, NULL);
		}
		k->ref_schema = rt ? rt->schema : pk->schemaname && *pk->schemaname ? pk->schemaname : t->schema;
		k->ref_table = pk->relname;
		pk->schemaname = (char *)k->ref_schema;
		work.pktable = pk;
		if (c->n_pk_attrs) {
			names_of(a, c->pk_attrs, c->n_pk_attrs, &k->ref_columns);
		} else {
			struct mm_constraint *rpk = mm_table_primary_key(rt ? rt : t);
			for (size_t i = 0; rpk && i < rpk->columns.len; i++)
				mm_vec_push(a, &k->ref_columns, mm_vec_at(&rpk->columns, i));
			work.n_pk_attrs = k->ref_columns.len;
			work.pk_attrs = str_list(a, &k->ref_columns);
		}
	}
	if (type == MM_CON_PRIMARY || type == MM_CON_UNIQUE || type == MM_CON_EXCLUSION) {
		struct mm_index *ix = c->indexname && *c->indexname ? mm_model_find_index(m, t->schema, c->indexname) : NULL;
		if (ix) {
			ix->name = k->name;
			mm_model_names_changed(m);
			ix->primary = type == MM_CON_PRIMARY;
			PgQuery__Node *n = mm_sql_parse_one(m->ctx, ix->definition, "index definition");
			if (n && n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
				n->index_stmt->idxname = (char *)k->name;
				ix->definition = mm_sql_deparse(m->ctx, n);
			}
		} else {
			ix = constraint_index(ap, t, name, &work, &cols);
		}
		ix->parent_index = parent_index;
		k->index_name = ix->name;
		if (type == MM_CON_PRIMARY)
			for (size_t i = 0; i < cols.len; i++) {
				struct mm_column *cc = mm_table_find_column(t, mm_vec_at(&cols, i));
				if (cc)
					cc->not_null = true;
			}
	}
	k->definition = mm_model_constraint_print(m, &work);
	return k;
}

/* What a partition gets from its partitioned parent: constraints and indexes (columns are
 * copied at creation). PostgreSQL clones CHECK and FOREIGN KEY under the same name and builds
 * each index (and PRIMARY KEY / UNIQUE constraint) under a name chosen for the partition. */
static void clone_into_partition(struct mm_apply *ap, struct mm_table *parent, struct mm_table *child)
{
	struct mm_model *m = ap->m;
	struct mm_arena *a = &m->ctx->arena;
	int rc = 0;
	for (size_t i = 0; i < parent->constraints.len; i++) {
		struct mm_constraint *pc = mm_vec_at(&parent->constraints, i);
		if ((pc->type == MM_CON_CHECK || pc->type == MM_CON_FOREIGN) && !mm_table_find_constraint(child, pc->name)) {
			struct mm_constraint *k = mm_table_add_constraint(m, child, pc->name, pc->type);
			*k = *pc;
			k->origin = ap->origin;
		}
	}
	for (size_t i = 0; i < parent->indexes.len; i++) {
		struct mm_index *pix = mm_vec_at(&parent->indexes, i);
		bool have = false;
		for (size_t j = 0; j < child->indexes.len && !have; j++)
			have = mm_streq(((struct mm_index *)mm_vec_at(&child->indexes, j))->parent_index, pix->name);
		if (have)
			continue;
		struct mm_constraint *backing = NULL;
		for (size_t j = 0; j < parent->constraints.len; j++) {
			struct mm_constraint *pc = mm_vec_at(&parent->constraints, j);
			if (mm_streq(pc->index_name, pix->name))
				backing = pc;
		}
		if (backing) {
			PgQuery__Constraint c = PG_QUERY__CONSTRAINT__INIT;
			c.contype = backing->type == MM_CON_PRIMARY ? PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
			                                            : PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE;
			c.n_keys = backing->columns.len;
			c.keys = str_list(a, &backing->columns);
			c.location = -1;
			add_constraint(ap, child, &c, NULL, pix->name, &rc);
			continue;
		}
		PgQuery__Node *n = mm_sql_parse_one(m->ctx, pix->definition, "index definition");
		if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
			continue;
		n->index_stmt->idxname = "";
		n->index_stmt->relation->schemaname = (char *)child->schema;
		n->index_stmt->relation->relname = (char *)child->name;
		mm_apply_create_index(ap, n->index_stmt, child, pix->name);
	}
}

static void attach_partition(struct mm_apply *ap, struct mm_table *parent, struct mm_table *child)
{
	child->partition_parent_schema = parent->schema;
	child->partition_parent = parent->name;
	mm_vec_push(&ap->m->ctx->arena, &parent->partitions, child);
	clone_into_partition(ap, parent, child);
}

/* A column definition's own clauses (type, default, identity, column constraints). Constraints
 * that become table constraints are queued in `later` with their column. */
struct pending_con {
	PgQuery__Constraint *c;
	const char *col;
};

static void column_clauses(struct mm_apply *ap, struct mm_table *t, struct mm_column *col,
                           PgQuery__ColumnDef *cd, struct mm_vec *later)
{
	struct mm_model *m = ap->m;
	struct mm_arena *a = &m->ctx->arena;
	if (cd->coll_clause && cd->coll_clause->n_collname)
		col->collation = cd->coll_clause->collname[cd->coll_clause->n_collname - 1]->string->sval;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		PgQuery__Constraint *c = cd->constraints[i]->constraint;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) {
			col->not_null = true;
		} else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NULL) {
			col->not_null = false;
		} else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT) {
			col->default_expr = mm_sql_deparse_expr(m->ctx, c->raw_expr);
			col->default_volatility = mm_model_expr_volatility(m, c->raw_expr);
		} else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY) {
			col->identity = c->generated_when && *c->generated_when ? c->generated_when[0] : 'a';
			col->not_null = true;
		} else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED) {
			col->generated = 's';
			col->generation_expr = mm_sql_deparse_expr(m->ctx, c->raw_expr);
		} else {
			struct pending_con *p = mm_alloc(a, sizeof(*p));
			p->c = c;
			p->col = col->name;
			mm_vec_push(a, later, p);
		}
	}
	/* serial: integer NOT NULL DEFAULT nextval('<table>_<col>_seq'), the sequence owned by it. */
	if (mm_model_serial_type(cd->type_name)) {
		const char *seq = mm_model_choose_name(m, t->schema, t->name, col->name, "seq", NULL, MM_NAME_RELATION);
		struct mm_sequence *sq = mm_model_add_sequence(m, t->schema, seq);
		sq->type = col->type;
		sq->owner_table = t->name;
		sq->owner_column = col->name;
		col->not_null = true;
		col->default_expr = mm_sprintf(a, "nextval(%s::regclass)", mm_sql_literal(a, mm_sql_qname(a, t->schema, seq)));
		col->default_volatility = MM_VOL_VOLATILE;
	}
}

static struct mm_column *add_column(struct mm_apply *ap, struct mm_table *t, PgQuery__ColumnDef *cd,
                                    struct mm_vec *later)
{
	struct mm_column *col = mm_table_add_column(ap->m, t, cd->colname, mm_model_type_name(ap->m, cd->type_name));
	col->type_written = mm_sql_deparse_type(ap->m->ctx, cd->type_name);
	column_clauses(ap, t, col, cd, later);
	return col;
}

/* Priority of constraint kinds within one statement: keys first so a foreign key to the same
 * table finds its primary key. */
static int con_rank(const PgQuery__Constraint *c)
{
	return c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY  ? 0
	       : c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ? 1
	       : c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK  ? 2
	                                                            : 3;
}

static int add_pending(struct mm_apply *ap, struct mm_table *t, struct mm_vec *later)
{
	int rc = 0;
	for (int rank = 0; rank <= 3; rank++)
		for (size_t i = 0; i < later->len; i++) {
			struct pending_con *p = mm_vec_at(later, i);
			if (con_rank(p->c) != rank)
				continue;
			struct mm_constraint *k = add_constraint(ap, t, p->c, p->col, NULL, &rc);
			/* A constraint on a partitioned table applies to every partition too. */
			for (size_t j = 0; k && j < t->partitions.len; j++)
				clone_into_partition(ap, t, mm_vec_at(&t->partitions, j));
		}
	return rc;
}

static const char *partition_key(struct mm_model *m, PgQuery__PartitionSpec *ps)
{
	static const struct {
		const char *in, *out;
	} strategies[] = { { "range", "RANGE" }, { "list", "LIST" }, { "hash", "HASH" },
	                   { "r", "RANGE" },     { "l", "LIST" },    { "h", "HASH" } };
	struct mm_buf b = MM_BUF_INIT;
	const char *strategy = ps->strategy;
	for (size_t i = 0; i < MM_ARRAY_LEN(strategies); i++)
		if (mm_strcaseeq(ps->strategy, strategies[i].in))
			strategy = strategies[i].out;
	mm_buf_addf(&b, "%s (", strategy);
	for (size_t i = 0; i < ps->n_part_params; i++) {
		PgQuery__PartitionElem *pe = ps->part_params[i]->partition_elem;
		mm_buf_adds(&b, i ? ", " : "");
		if (pe->name && *pe->name) {
			mm_buf_add_ident(&b, pe->name);
		} else {
			const char *e = mm_sql_deparse_expr(m->ctx, pe->expr);
			mm_buf_addf(&b, "(%s)", e ? e : "?");
		}
	}
	mm_buf_addch(&b, ')');
	char *s = mm_buf_arena(&b, &m->ctx->arena);
	mm_buf_release(&b);
	return s;
}

int mm_apply_create_table(struct mm_apply *ap, PgQuery__CreateStmt *cs)
{
	struct mm_model *m = ap->m;
	/* A temporary table lives in the session's pg_temp schema, which unqualified names search
	 * first (and which the dump leaves out). */
	bool temp = cs->relation->relpersistence && cs->relation->relpersistence[0] == 't';
	const char *schema = temp ? "pg_temp" : mm_apply_schema(ap, cs->relation);
	if (mm_model_find_table(m, schema, cs->relation->relname)) {
		if (cs->if_not_exists)
			return 0;
		return mm_error(m->ctx, ap->st->src, cs->relation->location >= 0 ? (size_t)cs->relation->location : ap->st->off,
		                strlen(cs->relation->relname), "relation \"%s\" already exists", cs->relation->relname);
	}
	struct mm_table *parent = NULL;
	int rc = 0;
	if (cs->partbound && cs->n_inh_relations) {
		parent = mm_apply_table(ap, cs->inh_relations[0]->range_var, false, &rc);
		if (!parent)
			return rc;
	}
	struct mm_table *t = mm_model_add_table(m, schema, cs->relation->relname,
	                                        cs->partspec ? MM_REL_PARTITIONED : MM_REL_TABLE, ap->origin);
	if (cs->partspec)
		t->partition_key = partition_key(m, cs->partspec);
	struct mm_vec later = { 0 };
	/* A partition starts with its parent's columns; its own list only adds options to them. */
	for (size_t i = 0; parent && i < parent->columns.len; i++) {
		struct mm_column *pc = mm_vec_at(&parent->columns, i);
		struct mm_column *c = mm_table_add_column(m, t, pc->name, pc->type);
		int attnum = c->attnum;
		*c = *pc;
		c->attnum = attnum;
		c->identity = 0;
	}
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			PgQuery__ColumnDef *cd = e->column_def;
			struct mm_column *c = mm_table_find_column(t, cd->colname);
			if (c && parent)
				column_clauses(ap, t, c, cd, &later);
			else
				add_column(ap, t, cd, &later);
		} else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			struct pending_con *p = mm_alloc(&m->ctx->arena, sizeof(*p));
			p->c = e->constraint;
			mm_vec_push(&m->ctx->arena, &later, p);
		} else if (e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE) {
			struct mm_table *src = mm_apply_table(ap, e->table_like_clause->relation, false, &rc);
			for (size_t j = 0; src && j < src->columns.len; j++) {
				struct mm_column *sc = mm_vec_at(&src->columns, j);
				struct mm_column *c = mm_table_add_column(m, t, sc->name, sc->type);
				c->not_null = sc->not_null;
			}
		}
	}
	if (add_pending(ap, t, &later) != 0)
		rc = -1;
	if (parent)
		attach_partition(ap, parent, t);
	return rc;
}

/* --- ALTER TABLE ------------------------------------------------------------------------------ */

static int missing_column(struct mm_apply *ap, struct mm_table *t, const char *name, int loc)
{
	struct mm_vec names = { 0 };
	for (size_t i = 0; i < t->columns.len; i++)
		mm_vec_push(&ap->m->ctx->arena, &names, (void *)((struct mm_column *)mm_vec_at(&t->columns, i))->name);
	return mm_apply_missing(ap, loc, mm_sprintf(&ap->m->ctx->arena, "column of relation \"%s\"", t->name), name, &names);
}

static bool mentions_column(const struct mm_vec *cols, const char *name)
{
	for (size_t i = 0; i < cols->len; i++)
		if (strcmp(mm_vec_at(cols, i), name) == 0)
			return true;
	return false;
}

static void drop_column(struct mm_apply *ap, struct mm_table *t, const char *name)
{
	/* Indexes and constraints on the column go with it (an index on several columns too). */
	for (size_t i = t->constraints.len; i-- > 0;) {
		struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (mentions_column(&c->columns, name))
			mm_table_remove_constraint(ap->m, t, c->name);
	}
	for (size_t i = t->indexes.len; i-- > 0;) {
		struct mm_index *ix = mm_vec_at(&t->indexes, i);
		bool uses = mentions_column(&ix->columns, name);
		if (!uses && (ix->partial || ix->has_expressions) && ix->definition) {
			PgQuery__Node *n = mm_sql_parse_one(ap->m->ctx, ix->definition, "index definition");
			struct mm_vec refs = { 0 };
			if (n)
				mm_sql_column_refs(&ap->m->ctx->arena, n, &refs);
			uses = mentions_column(&refs, name);
		}
		if (uses)
			mm_model_remove_index(ap->m, ix);
	}
	for (size_t i = ap->m->sequences.len; i-- > 0;) {
		struct mm_sequence *sq = mm_vec_at(&ap->m->sequences, i);
		if (mm_streq(sq->schema, t->schema) && mm_streq(sq->owner_table, t->name) && mm_streq(sq->owner_column, name))
			mm_vec_remove(&ap->m->sequences, sq);
	}
	mm_table_remove_column(t, name);
}

typedef int (*column_fn)(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd);

static int col_default(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)t;
	c->default_expr = cmd->def ? mm_sql_deparse_expr(ap->m->ctx, cmd->def) : NULL;
	c->default_volatility = cmd->def ? mm_model_expr_volatility(ap->m, cmd->def) : MM_VOL_UNKNOWN;
	return 0;
}

static int col_set_not_null(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)ap, (void)t, (void)cmd;
	c->not_null = true;
	return 0;
}

static int col_drop_not_null(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)ap, (void)t, (void)cmd;
	c->not_null = false;
	return 0;
}

static int col_type(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)t;
	PgQuery__ColumnDef *cd = cmd->def->column_def;
	c->type = mm_model_type_name(ap->m, cd->type_name);
	c->type_written = mm_sql_deparse_type(ap->m->ctx, cd->type_name);
	if (cd->coll_clause && cd->coll_clause->n_collname)
		c->collation = cd->coll_clause->collname[cd->coll_clause->n_collname - 1]->string->sval;
	return 0;
}

static int col_add_identity(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)ap, (void)t;
	PgQuery__Constraint *k = cmd->def->constraint;
	c->identity = k->generated_when && *k->generated_when ? k->generated_when[0] : 'a';
	c->not_null = true;
	return 0;
}

static int col_drop_identity(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)ap, (void)t, (void)cmd;
	c->identity = 0;
	return 0;
}

static int col_set_identity(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)ap, (void)t;
	for (size_t i = 0; cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_LIST && i < cmd->def->list->n_items; i++) {
		PgQuery__DefElem *d = cmd->def->list->items[i]->def_elem;
		if (strcmp(d->defname, "generated") == 0 && d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
			c->identity = d->arg->integer->ival == 0 ? 'a' : 'd';
	}
	return 0;
}

static int col_drop_expression(struct mm_apply *ap, struct mm_table *t, struct mm_column *c, PgQuery__AlterTableCmd *cmd)
{
	(void)ap, (void)t, (void)cmd;
	c->generated = 0;
	c->generation_expr = NULL;
	return 0;
}

/* Column subcommands: one function each, recursing into partitions as PostgreSQL does. */
static const struct column_cmd {
	PgQuery__AlterTableType type;
	column_fn fn;
} column_cmds[] = {
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault, col_default },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, col_set_not_null },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull, col_drop_not_null },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType, col_type },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity, col_add_identity },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity, col_drop_identity },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity, col_set_identity },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression, col_drop_expression },
};

static int column_cmd(struct mm_apply *ap, struct mm_table *t, const struct column_cmd *cc,
                      PgQuery__AlterTableCmd *cmd, bool recurse)
{
	struct mm_column *c = mm_table_find_column(t, cmd->name);
	if (!c) {
		if (cmd->missing_ok)
			return 0;
		return missing_column(ap, t, cmd->name, -1);
	}
	int rc = cc->fn(ap, t, c, cmd);
	bool inherited = cc->type != PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity &&
	                 cc->type != PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity &&
	                 cc->type != PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity;
	for (size_t i = 0; recurse && inherited && i < t->partitions.len; i++)
		if (column_cmd(ap, mm_vec_at(&t->partitions, i), cc, cmd, true) != 0)
			rc = -1;
	return rc;
}

static int add_column_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	PgQuery__ColumnDef *cd = cmd->def->column_def;
	if (mm_table_find_column(t, cd->colname)) {
		if (cmd->missing_ok)
			return 0;
		return mm_error(ap->m->ctx, ap->st->src, cd->location >= 0 ? (size_t)cd->location : ap->st->off,
		                strlen(cd->colname), "column \"%s\" of relation \"%s\" already exists", cd->colname, t->name);
	}
	struct mm_vec later = { 0 };
	struct mm_column *c = add_column(ap, t, cd, &later);
	for (size_t i = 0; recurse && i < t->partitions.len; i++) {
		struct mm_table *p = mm_vec_at(&t->partitions, i);
		struct mm_column *pc = mm_table_add_column(ap->m, p, c->name, c->type);
		int attnum = pc->attnum;
		*pc = *c;
		pc->attnum = attnum;
		pc->identity = 0;
	}
	return add_pending(ap, t, &later);
}

static int drop_constraint_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	struct mm_constraint *c = mm_table_find_constraint(t, cmd->name);
	if (!c) {
		if (cmd->missing_ok)
			return 0;
		struct mm_vec names = { 0 };
		for (size_t i = 0; i < t->constraints.len; i++)
			mm_vec_push(&ap->m->ctx->arena, &names, (void *)((struct mm_constraint *)mm_vec_at(&t->constraints, i))->name);
		return mm_apply_missing(ap, -1, mm_sprintf(&ap->m->ctx->arena, "constraint of relation \"%s\"", t->name),
		                        cmd->name, &names);
	}
	if (c->index_name) {
		struct mm_index *ix = mm_model_find_index(ap->m, t->schema, c->index_name);
		if (ix)
			mm_model_remove_index(ap->m, ix);
	}
	mm_table_remove_constraint(ap->m, t, cmd->name);
	for (size_t i = 0; recurse && i < t->partitions.len; i++) {
		struct mm_table *p = mm_vec_at(&t->partitions, i);
		if (c->type == MM_CON_CHECK || c->type == MM_CON_FOREIGN) {
			mm_table_remove_constraint(ap->m, p, cmd->name);
		} else {
			/* The partitions' key constraints are attached to the parent's through their index. */
			for (size_t j = p->constraints.len; j-- > 0;) {
				struct mm_constraint *pc = mm_vec_at(&p->constraints, j);
				struct mm_index *pix = pc->index_name ? mm_model_find_index(ap->m, p->schema, pc->index_name) : NULL;
				if (pix && mm_streq(pix->parent_index, c->index_name)) {
					mm_model_remove_index(ap->m, pix);
					mm_table_remove_constraint(ap->m, p, pc->name);
				}
			}
		}
	}
	return 0;
}

static int validate_constraint_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	struct mm_constraint *c = mm_table_find_constraint(t, cmd->name);
	if (!c)
		return mm_apply_missing(ap, -1, mm_sprintf(&ap->m->ctx->arena, "constraint of relation \"%s\"", t->name),
		                        cmd->name, NULL);
	c->validated = true;
	/* pg_get_constraintdef stops saying NOT VALID once validated. */
	size_t n = c->definition ? strlen(c->definition) : 0;
	if (n > 10 && strcmp(c->definition + n - 10, " NOT VALID") == 0)
		c->definition = mm_strndup(&ap->m->ctx->arena, c->definition, n - 10);
	for (size_t i = 0; recurse && i < t->partitions.len; i++) {
		struct mm_constraint *pc = mm_table_find_constraint(mm_vec_at(&t->partitions, i), cmd->name);
		if (pc) {
			pc->validated = true;
			pc->definition = c->definition;
		}
	}
	return 0;
}

static int attach_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	(void)recurse;
	int rc = 0;
	PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
	struct mm_table *child = mm_apply_table(ap, pc->name, false, &rc);
	if (child)
		attach_partition(ap, t, child);
	return rc;
}

static int detach_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	(void)recurse;
	int rc = 0;
	struct mm_table *child = mm_apply_table(ap, cmd->def->partition_cmd->name, false, &rc);
	if (!child)
		return rc;
	child->partition_parent = child->partition_parent_schema = NULL;
	mm_vec_remove(&t->partitions, child);
	for (size_t i = 0; i < child->indexes.len; i++)
		((struct mm_index *)mm_vec_at(&child->indexes, i))->parent_index = NULL;
	return 0;
}

static int add_constraint_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	struct mm_vec later = { 0 };
	struct pending_con *p = mm_alloc(&ap->m->ctx->arena, sizeof(*p));
	p->c = cmd->def->constraint;
	mm_vec_push(&ap->m->ctx->arena, &later, p);
	if (!recurse) {
		/* ALTER TABLE ONLY parent ADD ...: the partitions' own constraints come separately. */
		struct mm_vec saved = t->partitions;
		t->partitions = (struct mm_vec){ 0 };
		int rc = add_pending(ap, t, &later);
		t->partitions = saved;
		return rc;
	}
	return add_pending(ap, t, &later);
}

static int drop_column_cmd(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse)
{
	if (!mm_table_find_column(t, cmd->name)) {
		if (cmd->missing_ok)
			return 0;
		return missing_column(ap, t, cmd->name, -1);
	}
	drop_column(ap, t, cmd->name);
	for (size_t i = 0; recurse && i < t->partitions.len; i++)
		drop_column(ap, mm_vec_at(&t->partitions, i), cmd->name);
	return 0;
}

typedef int (*table_fn)(struct mm_apply *ap, struct mm_table *t, PgQuery__AlterTableCmd *cmd, bool recurse);

static const struct table_cmd {
	PgQuery__AlterTableType type;
	table_fn fn;
} table_cmds[] = {
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, add_column_cmd },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, drop_column_cmd },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, add_constraint_cmd },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint, drop_constraint_cmd },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, validate_constraint_cmd },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition, attach_cmd },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition, detach_cmd },
};

/* ALTER INDEX parent ATTACH PARTITION child. */
static int attach_index(struct mm_apply *ap, PgQuery__AlterTableStmt *at, PgQuery__AlterTableCmd *cmd)
{
	const char *ps = mm_apply_schema(ap, at->relation);
	struct mm_index *parent = mm_model_find_index(ap->m, at->relation->schemaname && *at->relation->schemaname ? ps : NULL,
	                                              at->relation->relname);
	PgQuery__RangeVar *crv = cmd->def->partition_cmd->name;
	struct mm_index *child = mm_model_find_index(ap->m, crv->schemaname && *crv->schemaname ? crv->schemaname : NULL,
	                                             crv->relname);
	if (!parent)
		return mm_apply_missing(ap, at->relation->location, "index", at->relation->relname, NULL);
	if (!child)
		return mm_apply_missing(ap, crv->location, "index", crv->relname, NULL);
	child->parent_index = parent->name;
	return 0;
}

int mm_apply_alter_table(struct mm_apply *ap, PgQuery__AlterTableStmt *at)
{
	if (at->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) {
		for (size_t i = 0; i < at->n_cmds; i++)
			if (at->cmds[i]->alter_table_cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition)
				return attach_index(ap, at, at->cmds[i]->alter_table_cmd);
		return 0;
	}
	if (at->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE)
		return 0; /* OWNER TO and options: nothing the model keeps */
	int rc = 0;
	struct mm_table *t = mm_apply_table(ap, at->relation, at->missing_ok, &rc);
	if (!t)
		return rc;
	bool recurse = at->relation->inh;
	for (size_t i = 0; i < at->n_cmds; i++) {
		PgQuery__AlterTableCmd *cmd = at->cmds[i]->alter_table_cmd;
		for (size_t k = 0; k < MM_ARRAY_LEN(column_cmds); k++)
			if (column_cmds[k].type == cmd->subtype && column_cmd(ap, t, &column_cmds[k], cmd, recurse) != 0)
				rc = -1;
		for (size_t k = 0; k < MM_ARRAY_LEN(table_cmds); k++)
			if (table_cmds[k].type == cmd->subtype && table_cmds[k].fn(ap, t, cmd, recurse) != 0)
				rc = -1;
	}
	return rc;
}
