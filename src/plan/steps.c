/*
 * steps.c — building plan steps: the small vocabulary rules use to say what they emit.
 */
#include "plan_internal.h"

#include <string.h>

/* A title is printed after "--" in scripts: one line, whitespace runs collapsed (a statement
 * title keeps its SQL readable), long ones cut at a character boundary. */
static char *one_line(struct mm_arena *a, const char *text)
{
	enum { MAX_TITLE = 200 };
	/* Only the first MAX_TITLE + 1 characters decide the title (a longer one is cut). */
	char b[MAX_TITLE + 2];
	size_t len = 0;
	bool space = false;
	for (const char *p = text; *p && len <= MAX_TITLE; p++) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
			space = len > 0;
			continue;
		}
		if (space)
			b[len++] = ' ';
		space = false;
		if (len <= MAX_TITLE)
			b[len++] = c;
	}
	b[len] = '\0';
	if (len > MAX_TITLE) {
		len = mm_utf8_clip(b, MAX_TITLE - 3);
		return mm_sprintf(a, "%.*s...", (int)len, b);
	}
	return mm_strndup(a, b, len);
}

struct mm_step *mm_step_new(struct mm_ctx *ctx, struct mm_plan *plan, const struct mm_change *ch,
                            enum mm_phase phase, enum mm_unit unit, const char *title)
{
	struct mm_step *s = mm_alloc(&ctx->arena, sizeof(*s));
	s->phase = phase;
	s->unit = unit;
	s->down_unit = unit == MM_UNIT_NONTX ? MM_UNIT_NONTX : MM_UNIT_TX;
	s->title = one_line(&ctx->arena, title);
	s->change = ch;
	mm_vec_push(&ctx->arena, &plan->steps, s);
	return s;
}

/* Step texts are never changed once made: a lone "%s" is kept as given (an arena string or a
 * literal), not copied; check keeps a step per statement. */
static char *text_of(struct mm_ctx *ctx, const char *fmt, va_list ap)
{
	if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2])
		return va_arg(ap, char *);
	return mm_vsprintf(&ctx->arena, fmt, ap);
}

void mm_step_up(struct mm_ctx *ctx, struct mm_step *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mm_vec_push(&ctx->arena, &s->up, text_of(ctx, fmt, ap));
	va_end(ap);
}

void mm_step_down(struct mm_ctx *ctx, struct mm_step *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mm_vec_push(&ctx->arena, &s->down, text_of(ctx, fmt, ap));
	va_end(ap);
}

void mm_step_why(struct mm_ctx *ctx, struct mm_step *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s->why = text_of(ctx, fmt, ap);
	va_end(ap);
}

void mm_step_lock(struct mm_ctx *ctx, struct mm_step *s, const char *table, enum mm_lock mode, enum mm_work work)
{
	struct mm_lock_use *l = mm_alloc(&ctx->arena, sizeof(*l));
	l->table = mm_strdup(&ctx->arena, table);
	l->mode = mode;
	l->work = work;
	mm_vec_push(&ctx->arena, &s->locks, l);
}

void mm_plan_checkpoint(struct mm_ctx *ctx, struct mm_plan *plan, enum mm_phase before, const char *fmt, ...)
{
	struct mm_checkpoint *c = mm_alloc(&ctx->arena, sizeof(*c));
	c->before = before;
	va_list ap;
	va_start(ap, fmt);
	c->message = mm_vsprintf(&ctx->arena, fmt, ap);
	va_end(ap);
	mm_vec_push(&ctx->arena, &plan->checkpoints, c);
	if (!plan->first_checkpoint || c->before < plan->first_checkpoint->before)
		plan->first_checkpoint = c;
}
