/*
 * deparse_memo.c — deparse a tree once per shape.
 *
 * Each deparse is a protobuf round trip through libpg_query (pack, unpack, print, re-parse to
 * check): the model deparses every index, constraint and default it learns, which made that
 * round trip a third of `mkmig check`. A schema repeats a few shapes thousands of times
 * ("FOREIGN KEY (account_id) REFERENCES <table> (id)", "DEFAULT 0"), differing only in names or
 * source locations. The shape is the tree serialised field by field from the protobuf-c
 * descriptors (every field of every node, so no hand-kept list can miss one), without locations,
 * which the deparser never prints; names the caller marks are swapped for numbered placeholders
 * first and put back, quoted as quote_identifier() would, into the memoised text.
 */
#include "mkmig/sql.h"

#include <string.h>

#define PLACEHOLDER "mkmig_tpl_"

/* Append v in decimal after a one-byte tag (no NUL: the key is a C string). */
static void add_uint(struct mm_buf *b, unsigned long long v, char tag)
{
	char tmp[24];
	size_t n = sizeof(tmp);
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	tmp[--n] = tag;
	mm_buf_add(b, tmp + n, sizeof(tmp) - n);
}

/* Bytes per value, by protobuf-c type. */
static const unsigned char value_size[] = {
	[PROTOBUF_C_TYPE_INT32] = 4,    [PROTOBUF_C_TYPE_SINT32] = 4,
	[PROTOBUF_C_TYPE_SFIXED32] = 4, [PROTOBUF_C_TYPE_INT64] = 8,
	[PROTOBUF_C_TYPE_SINT64] = 8,   [PROTOBUF_C_TYPE_SFIXED64] = 8,
	[PROTOBUF_C_TYPE_UINT32] = 4,   [PROTOBUF_C_TYPE_FIXED32] = 4,
	[PROTOBUF_C_TYPE_UINT64] = 8,   [PROTOBUF_C_TYPE_FIXED64] = 8,
	[PROTOBUF_C_TYPE_FLOAT] = 4,    [PROTOBUF_C_TYPE_DOUBLE] = 8,
	[PROTOBUF_C_TYPE_BOOL] = sizeof(protobuf_c_boolean),
	[PROTOBUF_C_TYPE_ENUM] = 4,
	[PROTOBUF_C_TYPE_STRING] = sizeof(char *),
	[PROTOBUF_C_TYPE_BYTES] = sizeof(ProtobufCBinaryData),
	[PROTOBUF_C_TYPE_MESSAGE] = sizeof(void *),
};

static void shape_message(const ProtobufCMessage *msg, struct mm_buf *b);

/* One value of a field (p points at it; an element of the array when repeated). Scalars are
 * written as their bits: equal bits print equally. */
static void shape_value(const ProtobufCFieldDescriptor *f, const void *p, struct mm_buf *b)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(const char *const *)p;
		if (!s) {
			mm_buf_addch(b, 'N');
			return;
		}
		size_t n = strlen(s);
		add_uint(b, n, 's');
		mm_buf_addch(b, ':');
		mm_buf_add(b, s, n);
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
		if (!sub) {
			mm_buf_addch(b, 'N');
			return;
		}
		mm_buf_addch(b, '{');
		shape_message(sub, b);
		mm_buf_addch(b, '}');
	} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
		const ProtobufCBinaryData *d = p;
		add_uint(b, d->len, 'b');
		for (size_t i = 0; i < d->len; i++)
			add_uint(b, d->data[i], ',');
	} else if (value_size[f->type] == 8) {
		add_uint(b, *(const uint64_t *)p, 'l');
	} else {
		add_uint(b, *(const uint32_t *)p, 'u');
	}
}

/* Whether a singular field holds its zero value (left out of the shape: most fields do). */
static bool is_zero(const ProtobufCFieldDescriptor *f, const char *p)
{
	if (f->type == PROTOBUF_C_TYPE_BYTES)
		return ((const ProtobufCBinaryData *)(const void *)p)->len == 0;
	uint64_t v8;
	uint32_t v4;
	if (value_size[f->type] == 8)
		return memcpy(&v8, p, 8), v8 == 0;
	return memcpy(&v4, p, 4), v4 == 0;
}

static void shape_message(const ProtobufCMessage *msg, struct mm_buf *b)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			if (!n)
				continue;
			const char *arr = *(const char *const *)(base + f->offset);
			size_t sz = value_size[f->type];
			add_uint(b, i, '#');
			add_uint(b, n, '[');
			for (size_t k = 0; k < n; k++)
				shape_value(f, arr + k * sz, b);
			mm_buf_addch(b, ']');
			continue;
		}
		const char *p = base + f->offset;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
		} else if (is_zero(f, p) || (f->name[0] == 'l' && strcmp(f->name, "location") == 0)) {
			continue; /* locations are never printed; a zero value is the same as an absent one */
		}
		add_uint(b, i, '#');
		shape_value(f, p, b);
	}
}

/* The memoised text with the placeholders replaced by the quoted names. */
static char *fill(struct mm_arena *a, const char *tpl, char *const *names)
{
	struct mm_buf b = MM_BUF_INIT;
	const char *p = tpl, *at;
	while ((at = strstr(p, PLACEHOLDER))) {
		const char *q = at + strlen(PLACEHOLDER);
		size_t i = 0;
		while (*q >= '0' && *q <= '9')
			i = i * 10 + (size_t)(*q++ - '0');
		if (*q != '_')
			MM_BUG("malformed placeholder in \"%s\"", tpl);
		mm_buf_add(&b, p, (size_t)(at - p));
		mm_buf_add_ident(&b, names[i]);
		p = q + 1;
	}
	mm_buf_adds(&b, p);
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static size_t count_placeholders(const char *s)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, PLACEHOLDER)); p += strlen(PLACEHOLDER))
		n++;
	return n;
}

/* PLACEHOLDER, i in decimal, "_" (no printf: this runs for every name of every definition). */
static char *placeholder(struct mm_arena *a, size_t i)
{
	char tmp[sizeof(PLACEHOLDER) + 24], d[24];
	size_t len = sizeof(PLACEHOLDER) - 1, n = 0;
	memcpy(tmp, PLACEHOLDER, len);
	do {
		d[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	while (n)
		tmp[len++] = d[--n];
	tmp[len++] = '_';
	return mm_strndup(a, tmp, len);
}

char *mm_sql_deparse_memo(struct mm_ctx *ctx, const char *kind, PgQuery__Node *node,
                          char **const *names, size_t n_names,
                          char *(*deparse)(struct mm_ctx *ctx, PgQuery__Node *node))
{
	struct mm_arena *a = &ctx->arena;
	char **orig = n_names ? mm_alloc(a, n_names * sizeof(*orig)) : NULL;
	size_t swapped = 0;
	for (size_t i = 0; i < n_names; i++) {
		orig[i] = *names[i];
		if (orig[i] && *orig[i]) {
			*names[i] = placeholder(a, i);
			swapped++;
		}
	}
	struct mm_buf key = MM_BUF_INIT;
	shape_message(&node->base, &key);
	char *out = NULL;
	/* A placeholder-like string elsewhere in the tree would be filled in too: deparse directly. */
	bool clean = count_placeholders(key.buf) == swapped;
	if (clean) {
		struct mm_vec *hit = mm_map_get(&ctx->deparse_memo, kind, key.buf);
		if (hit && hit->len) {
			out = mm_vec_at(hit, 0);
		} else {
			out = deparse(ctx, node);
			if (out)
				mm_map_add(a, &ctx->deparse_memo, kind, key.buf, out);
		}
	}
	mm_buf_release(&key);
	for (size_t i = 0; i < n_names; i++)
		*names[i] = orig[i];
	if (!clean)
		return deparse(ctx, node);
	if (!out)
		return NULL;
	out = swapped ? fill(a, out, orig) : mm_strdup(a, out);
#ifndef NDEBUG
	/* The test build proves every memoised text against a direct deparse. */
	char *direct = deparse(ctx, node);
	if (!direct || strcmp(direct, out) != 0)
		MM_BUG("memoised deparse \"%s\" differs from \"%s\"", out, direct ? direct : "(null)");
#endif
	return out;
}
