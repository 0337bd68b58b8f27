/*
 * fuzz_filter.c — libFuzzer target: the SQL front end, the model, the planner and the emitters,
 * as `mkmig --schema S INPUT` runs them. The input is a schema and a naive change in one text:
 * the lines before a line "-- mkmig-fuzz: input" are the --schema file, the rest is INPUT (no
 * such line: all of it is INPUT, with no schema). Any bytes must give a clean error, or up/down
 * scripts that re-parse with libpg_query, with the same bytes on a second run (fuzz_common.c).
 */
#include "fuzz_common.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char schema[4200], input[4200];
	snprintf(schema, sizeof(schema), "%s/schema.sql", fz_scratch());
	snprintf(input, sizeof(input), "%s/input.sql", fz_scratch());
	size_t head, tail;
	fz_split(data, size, "-- mkmig-fuzz: input", &head, &tail);
	bool has_schema = tail != 0;
	if (has_schema)
		fz_write(schema, data, head);
	fz_write(input, data + tail, size - tail);
	struct fz_result a, b;
	fz_compile(has_schema ? schema : NULL, NULL, input, 0, &a);
	fz_compile(has_schema ? schema : NULL, NULL, input, 0, &b);
	fz_check("filter", &a, &b);
	fz_result_release(&a);
	fz_result_release(&b);
	return 0;
}
