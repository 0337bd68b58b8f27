/*
 * map.c — from generated SQL back to the spec text: every diagnostic reported against SQL the
 * lowering generated moves to the name, type or expression it came from (character by character
 * inside a 'string', stepping over doubled quotes), or to the whole statement; and the command
 * line joined into one statement.
 */
#include "spec_internal.h"

#include <string.h>

struct mm_spec *mm_spec_new(struct mm_ctx *ctx)
{
	return mm_alloc(&ctx->arena, sizeof(struct mm_spec));
}

static size_t string_offset(const char *src, size_t tok_off, size_t k)
{
	size_t p = tok_off + 1; /* after the opening quote */
	for (size_t i = 0; i < k; i++)
		p += src[p] == '\'' ? 2 : 1;
	return p;
}

void mm_spec_remap_diags(struct mm_ctx *ctx, struct mm_spec *spec)
{
	if (!spec)
		return;
	for (size_t i = 0; i < ctx->diags.items.len; i++) {
		struct mm_diag *d = ctx->diags.items.items[i];
		for (size_t k = 0; k < spec->maps.len; k++) {
			const struct mm_spec_genmap *m = spec->maps.items[k];
			if (d->src != m->gen)
				continue;
			const struct mm_spec_frag *hit = NULL;
			for (size_t j = 0; j < m->frags.len && !hit; j++) {
				const struct mm_spec_frag *f = m->frags.items[j];
				if (d->off >= f->gen_off && d->off <= f->gen_off + f->gen_len)
					hit = f;
			}
			/* Past the end of the last piece ("at end of input" after our closing parenthesis):
			 * the end of that piece. */
			const struct mm_spec_frag *last = m->frags.len ? m->frags.items[m->frags.len - 1] : NULL;
			if (!hit && last && d->off > last->gen_off + last->gen_len && d->off >= m->gen->len) {
				hit = last;
				d->off = last->gen_off + last->gen_len;
				d->len = 0;
			}
			d->src = m->spec;
			if (!hit) {
				d->off = m->stmt_off;
				d->len = m->stmt_len;
				break;
			}
			size_t rel = d->off - hit->gen_off;
			if (hit->string) {
				size_t start = string_offset(m->spec->text, hit->src_off, rel);
				size_t end_rel = rel + d->len > hit->gen_len ? hit->gen_len : rel + d->len;
				size_t end = string_offset(m->spec->text, hit->src_off, end_rel);
				d->off = start;
				d->len = end > start ? end - start : 1;
			} else if (hit->gen_len == hit->src_len) {
				d->off = hit->src_off + rel;
				d->len = d->len && rel + d->len <= hit->src_len ? d->len : hit->src_len - rel;
			} else {
				/* A quoted or folded name: the whole word. */
				d->off = hit->src_off;
				d->len = hit->src_len;
			}
			break;
		}
	}
}

char *mm_spec_join_words(struct mm_arena *a, const char *verb, const char *const *words, size_t n)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, verb);
	for (size_t i = 0; i < n; i++) {
		const char *w = words[i];
		bool plain = *w != '\0';
		for (const char *p = w; *p && plain; p++)
			plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			        (unsigned char)*p >= 0x80 || strchr("_.,$\"-", *p);
		mm_buf_addch(&b, ' ');
		if (plain) {
			mm_buf_adds(&b, w);
			continue;
		}
		mm_buf_addch(&b, '\'');
		for (const char *p = w; *p; p++) {
			if (*p == '\'')
				mm_buf_addch(&b, '\'');
			mm_buf_addch(&b, *p);
		}
		mm_buf_addch(&b, '\'');
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}
