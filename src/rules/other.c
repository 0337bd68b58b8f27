/*
 * other.c — statements mkmig has no safer form for: passed through unchanged, in their own
 * transaction under lock_timeout (with retries when they take a lock that blocks traffic), and
 * `mkmig plan` says which lock they take.
 */
#include "../plan/plan_internal.h"

int mm_rule_other(struct mm_rule_ctx *r)
{
	const char *why = NULL;
	if (r->ch->kind == MM_CH_CREATE_TABLE)
		why = "a new table: no other session can be using it yet";
	else if (r->table_is_new)
		why = "the table was created earlier in this input, so no other session can be using it";
	return mm_rule_passthrough(r, why);
}
