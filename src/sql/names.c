/*
 * names.c — object names within PostgreSQL's 63-byte identifier limit.
 *
 * Two kinds: names PostgreSQL itself would generate (so that an index mkmig builds concurrently
 * ends up with the name the naive statement would have given it: same end state), and names of
 * mkmig's helper objects (deterministic, unique, never silently truncated by the server).
 */
#include "mkmig/sql.h"

#include <string.h>
#include <xxhash.h>

#define MAXLEN (MM_NAMEDATALEN - 1)

char *mm_name_pg_object(struct mm_arena *a, const char *name1, const char *name2, const char *label)
{
	/* makeObjectName() (src/backend/commands/indexcmds.c): the label is never cut; while the
	 * whole is too long, shorten the longer of name1/name2 one byte at a time, each cut then
	 * moved back to a character boundary (pg_mbcliplen). */
	size_t n1 = strlen(name1), n2 = name2 ? strlen(name2) : 0;
	size_t overhead = label ? strlen(label) + 1 : 0;
	if (name2)
		overhead++;
	size_t avail = MAXLEN - overhead;
	while (n1 + n2 > avail) {
		if (n1 > n2)
			n1--;
		else
			n2--;
	}
	n1 = mm_utf8_clip(name1, n1);
	if (name2)
		n2 = mm_utf8_clip(name2, n2);
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_add(&b, name1, n1);
	if (name2) {
		mm_buf_addch(&b, '_');
		mm_buf_add(&b, name2, n2);
	}
	if (label) {
		mm_buf_addch(&b, '_');
		mm_buf_adds(&b, label);
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

char *mm_name_helper(struct mm_arena *a, const char *base, const char *suffix)
{
	size_t bl = strlen(base), sl = strlen(suffix);
	if (bl + 1 + sl <= MAXLEN)
		return mm_sprintf(a, "%s_%s", base, suffix);
	/* Too long: keep a readable prefix, then a hash of the whole intended name so two long names
	 * that share the prefix still differ. */
	char *full = mm_sprintf(a, "%s_%s", base, suffix);
	unsigned long long h = (unsigned long long)XXH3_64bits(full, strlen(full));
	size_t keep = MAXLEN - (1 + 8 + 1 + sl);
	keep = mm_utf8_clip(base, keep);
	return mm_sprintf(a, "%.*s_%08llx_%s", (int)keep, base, h & 0xffffffffULL, suffix);
}
