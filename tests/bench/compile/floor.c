/*
 * floor.c — the floor mkmig's compile speed is measured against: what libpg_query alone costs
 * for the same files. For each file: read it, parse it whole to protobuf, unpack the tree with
 * protobuf-c, then pack and deparse every statement on its own (mkmig deparses what it emits
 * statement by statement). Prints nothing but the statement count, so only the work is timed.
 *
 *   floor FILE...
 */
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	s[n] = 0;
	fclose(f);
	return s;
}

static size_t one_file(const char *path)
{
	char *text = slurp(path);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
	if (r.error) {
		fprintf(stderr, "%s: %s\n", path, r.error->message);
		exit(2);
	}
	PgQuery__ParseResult *tree =
		pg_query__parse_result__unpack(NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
	size_t n = tree->n_stmts;
	for (size_t i = 0; i < n; i++) {
		PgQuery__ParseResult one = PG_QUERY__PARSE_RESULT__INIT;
		one.version = tree->version;
		one.n_stmts = 1;
		one.stmts = &tree->stmts[i];
		size_t len = pg_query__parse_result__get_packed_size(&one);
		uint8_t *data = malloc(len ? len : 1);
		pg_query__parse_result__pack(&one, data);
		PgQueryProtobuf pb = { .len = len, .data = (char *)data };
		PgQueryDeparseResult d = pg_query_deparse_protobuf(pb);
		if (d.error) {
			fprintf(stderr, "%s: statement %zu: %s\n", path, i + 1, d.error->message);
			exit(2);
		}
		pg_query_free_deparse_result(d);
		free(data);
	}
	pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(r);
	free(text);
	return n;
}

int main(int argc, char **argv)
{
	size_t total = 0;
	for (int i = 1; i < argc; i++)
		total += one_file(argv[i]);
	printf("%zu\n", total);
	return 0;
}
