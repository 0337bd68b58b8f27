/*
 * parse_split.c — a long input parsed in two halves on two threads.
 *
 * Parsing is half of `mkmig check` and most of reading a large schema, and libpg_query is
 * thread-safe (its memory contexts and error state are per thread). The first half is the text
 * up to a cut, parsed as it is; the second is the whole text with the first half blanked out
 * (same length), so every position libpg_query reports in it is already the position in the file.
 *
 * A cut is sound when the first half parses on its own: a cut inside a string, quoted name,
 * comment or dollar-quoted body leaves it unterminated, and a cut inside a statement (a rule's
 * (a; b) action, BEGIN ATOMIC ... END) leaves it incomplete — both errors. So the scan below only
 * proposes a cut (";" then a newline, outside quotes and comments as far as a simple scan can
 * tell) and the parse proves it; on any error the caller parses the whole text once more, and
 * reports what that parse reports.
 */
#include "sql_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Below this a second thread costs more than it saves; the test build splits nearly every
 * input, so that the whole suite runs through the cut. */
#ifdef NDEBUG
#define MIN_SPLIT ((size_t)512 << 10)
#else
#define MIN_SPLIT ((size_t)256)
#endif

static bool ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
	       c >= 0x80;
}

/* Length of a dollar-quote tag ($tag$ or $$) at t[i], 0 if none starts there. */
static size_t dollar_tag(const char *t, size_t i, size_t len)
{
	size_t j = i + 1;
	if (j < len && t[j] >= '0' && t[j] <= '9')
		return 0; /* $1: a parameter */
	while (j < len && t[j] != '$' && ident_char((unsigned char)t[j]))
		j++;
	return j < len && t[j] == '$' ? j + 1 - i : 0;
}

/* '...' or "...": a doubled quote stays inside; E'...' also escapes with a backslash. */
static size_t skip_quoted(const char *t, size_t i, size_t len)
{
	char q = t[i];
	bool esc = q == '\'' && i > 0 && (t[i - 1] == 'E' || t[i - 1] == 'e');
	for (size_t j = i + 1; j < len; j++) {
		if (esc && t[j] == '\\')
			j++;
		else if (t[j] == q && j + 1 < len && t[j + 1] == q)
			j++;
		else if (t[j] == q)
			return j + 1;
	}
	return len;
}

/* The offset after the first ";" + newline at or after from, outside quotes and comments; len if
 * there is none. */
static size_t propose_cut(const char *t, size_t from, size_t len)
{
	for (size_t i = 0; i < len;) {
		char c = t[i];
		size_t n;
		if (c == '\'' || c == '"') {
			i = skip_quoted(t, i, len);
		} else if (c == '-' && i + 1 < len && t[i + 1] == '-') {
			const char *nl = memchr(t + i, '\n', len - i);
			i = nl ? (size_t)(nl - t) : len;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			i = mm_sql_skip_blank(t, i, len); /* the comment, and what blank follows it */
		} else if (c == '$' && (i == 0 || !ident_char((unsigned char)t[i - 1])) && (n = dollar_tag(t, i, len))) {
			size_t j = i + n;
			while (j + n <= len && !(t[j] == '$' && memcmp(t + j, t + i, n) == 0))
				j++;
			i = j + n <= len ? j + n : len;
		} else if (c == ';' && i >= from && i + 1 < len && t[i + 1] == '\n') {
			return i + 2;
		} else {
			i++;
		}
	}
	return len;
}

struct half {
	char *text;
	struct mm_arena arena; /* the tree of this half */
	PgQuery__ParseResult *tree;
	bool failed;
};

/* Parse and unpack one half, into its own arena (arenas are not shared between threads). */
static void *parse_half(void *arg)
{
	/* libpg_query frees a thread's parser memory when the thread ends (a pthread key
	 * destructor): pg_query_exit() here would free it twice. */
	struct half *h = arg;
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(h->text);
	h->failed = r.error != NULL;
	if (!h->failed)
		h->tree = mm_sql_unpack(&h->arena, &r.parse_tree);
	pg_query_free_protobuf_parse_result(r);
	return NULL;
}

size_t mm_sql_parse_split(struct mm_arena *a, const char *text, size_t len, PgQuery__ParseResult *out[2])
{
#ifdef NDEBUG
	if (len < MIN_SPLIT || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
#else
	if (len < MIN_SPLIT)
		return 0;
#endif
	size_t cut = propose_cut(text, len / 2, len);
	if (cut >= len)
		return 0;
	struct half first, second;
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	mm_arena_init(&first.arena);
	mm_arena_init(&second.arena);
	first.text = mm_xmalloc(cut + 1);
	second.text = mm_xmalloc(len + 1);
	memcpy(first.text, text, cut);
	first.text[cut] = '\0';
	memset(second.text, ' ', cut);
	memcpy(second.text + cut, text + cut, len - cut + 1);
	pthread_t th;
	bool threaded = pthread_create(&th, NULL, parse_half, &second) == 0;
	parse_half(&first);
	if (threaded)
		pthread_join(th, NULL);
	else
		parse_half(&second);
	free(first.text);
	free(second.text);
	if (first.failed || second.failed) {
		mm_arena_release(&first.arena);
		mm_arena_release(&second.arena);
		return 0;
	}
	mm_arena_adopt(a, &first.arena);
	mm_arena_adopt(a, &second.arena);
	out[0] = first.tree;
	out[1] = second.tree;
	return cut;
}
