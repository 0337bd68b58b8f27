/*
 * naming.c — the names PostgreSQL would choose for objects a naive statement leaves unnamed,
 * so that mkmig's safe form ends with the same names (design contract 1). Follows
 * ChooseIndexColumnNames / ChooseIndexNameAddition / ChooseIndexName / ChooseRelationName in
 * src/backend/commands/indexcmds.c (PostgreSQL 11-18 alike).
 */
#include "plan_internal.h"
#include "naming.h"

#include <string.h>

/* Column-name parts of an index: the column, else the expression's alias, else "expr";
 * duplicates within one index get a number ("expr", "expr1"). INCLUDE columns count too. */
static void index_colnames(struct mm_arena *a, const PgQuery__IndexStmt *ix, struct mm_vec *out)
{
	size_t n = ix->n_index_params + ix->n_index_including_params;
	for (size_t i = 0; i < n; i++) {
		PgQuery__Node *p = i < ix->n_index_params ? ix->index_params[i]
		                                          : ix->index_including_params[i - ix->n_index_params];
		const PgQuery__IndexElem *el = p->index_elem;
		const char *orig = el->indexcolname && el->indexcolname[0] ? el->indexcolname
		                   : el->name && el->name[0]                ? el->name
		                                                           : "expr";
		const char *cur = orig;
		for (int k = 1;; k++) {
			bool clash = false;
			for (size_t j = 0; j < out->len && !clash; j++)
				clash = strcmp(mm_vec_at(out, j), cur) == 0;
			if (!clash)
				break;
			char num[16];
			snprintf(num, sizeof(num), "%d", k);
			size_t keep = mm_utf8_clip(orig, MM_NAMEDATALEN - 1 - strlen(num));
			cur = mm_sprintf(a, "%.*s%s", (int)keep, orig, num);
		}
		mm_vec_push(a, out, (void *)cur);
	}
}

/* ChooseIndexNameAddition: parts joined by "_", cut at NAMEDATALEN - 1 bytes. */
static char *name_addition(struct mm_arena *a, const struct mm_vec *parts)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < parts->len && b.len < MM_NAMEDATALEN - 1; i++) {
		if (b.len)
			mm_buf_addch(&b, '_');
		mm_buf_adds(&b, mm_vec_at(parts, i));
	}
	if (b.len > MM_NAMEDATALEN - 1)
		b.len = MM_NAMEDATALEN - 1, b.buf[b.len] = '\0';
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

char *mm_choose_relation_name(struct mm_rule_ctx *r, const char *schema, const char *name1,
                              const char *name2, const char *label, const struct mm_vec *also_taken)
{
	struct mm_arena *a = &r->ctx->arena;
	for (int pass = 0;; pass++) {
		const char *lab = pass ? mm_sprintf(a, "%s%d", label, pass) : label;
		char *cand = mm_name_pg_object(a, name1, name2, lab);
		bool taken = mm_model_relname_taken(r->model, schema, cand);
		for (size_t i = 0; also_taken && i < also_taken->len && !taken; i++)
			taken = strcmp(mm_vec_at(also_taken, i), cand) == 0;
		if (!taken)
			return cand;
	}
}

char *mm_choose_index_name(struct mm_rule_ctx *r, const char *schema, const char *table,
                           const PgQuery__IndexStmt *ix, const struct mm_vec *also_taken)
{
	struct mm_vec parts = { 0 };
	index_colnames(&r->ctx->arena, ix, &parts);
	const char *label = ix->primary ? "pkey" : ix->isconstraint ? "key" : "idx";
	if (ix->n_exclude_op_names)
		label = "excl";
	return mm_choose_relation_name(r, schema, table, name_addition(&r->ctx->arena, &parts), label,
	                               also_taken);
}
