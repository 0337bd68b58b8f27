/*
 * walk.c — a generic walk over libpg_query's protobuf-c trees, driven by the message
 * descriptors, so every field of every node type is visited without a hand-written case per type.
 */
#include "mkmig/sql.h"

#include <string.h>

static void walk_message(const ProtobufCMessage *msg, mm_sql_visit_fn fn, void *arg);

static void visit_field_value(const ProtobufCFieldDescriptor *f, const void *member, mm_sql_visit_fn fn, void *arg)
{
	const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)member;
	if (!sub)
		return;
	if (f->descriptor == &pg_query__node__descriptor) {
		PgQuery__Node *n = (PgQuery__Node *)sub;
		if (!fn(n, arg))
			return;
	}
	walk_message(sub, fn, arg);
}

static void walk_message(const ProtobufCMessage *msg, mm_sql_visit_fn fn, void *arg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *base = (const char *)msg;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			void *const *arr = *(void *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				visit_field_value(f, &arr[k], fn, arg);
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* Only the member the oneof case names is set. */
			uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
			if (which == f->id)
				visit_field_value(f, base + f->offset, fn, arg);
		} else {
			visit_field_value(f, base + f->offset, fn, arg);
		}
	}
}

void mm_sql_walk(PgQuery__Node *node, mm_sql_visit_fn fn, void *arg)
{
	if (!node || !fn(node, arg))
		return;
	walk_message(&node->base, fn, arg);
}

struct colref_acc {
	struct mm_arena *a;
	struct mm_vec *out;
};

static bool collect_colref(PgQuery__Node *n, void *arg)
{
	struct colref_acc *acc = arg;
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return true;
	const PgQuery__ColumnRef *cr = n->column_ref;
	if (!cr->n_fields)
		return false;
	PgQuery__Node *last = cr->fields[cr->n_fields - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return false; /* t.* */
	const char *name = last->string->sval;
	for (size_t i = 0; i < acc->out->len; i++)
		if (strcmp(mm_vec_at(acc->out, i), name) == 0)
			return false;
	mm_vec_push(acc->a, acc->out, mm_strdup(acc->a, name));
	return false;
}

void mm_sql_column_refs(struct mm_arena *a, PgQuery__Node *expr, struct mm_vec *out)
{
	struct colref_acc acc = { a, out };
	mm_sql_walk(expr, collect_colref, &acc);
}

PgQuery__Node *mm_sql_string_node(struct mm_arena *a, const char *s)
{
	PgQuery__String *str = mm_alloc(a, sizeof(*str));
	pg_query__string__init(str);
	str->sval = (char *)s;
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_STRING;
	n->string = str;
	return n;
}
