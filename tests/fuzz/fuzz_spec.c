/*
 * fuzz_spec.c — libFuzzer target: the change-spec front end (lexer, parser, lowering to changes,
 * the map back to spec positions), then the planner and emitters, as `mkmig apply --schema S
 * FILE.mkmig` runs them. Same input shape as fuzz_filter.c: lines before "-- mkmig-fuzz: input"
 * are the --schema file, the rest is the spec; the same checks (fuzz_common.c).
 */
#include "fuzz_common.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char schema[4200], input[4200];
	snprintf(schema, sizeof(schema), "%s/schema.sql", fz_scratch());
	snprintf(input, sizeof(input), "%s/input.mkmig", fz_scratch());
	size_t head, tail;
	fz_split(data, size, "-- mkmig-fuzz: input", &head, &tail);
	bool has_schema = tail != 0;
	if (has_schema)
		fz_write(schema, data, head);
	fz_write(input, data + tail, size - tail);
	struct fz_result a, b;
	fz_compile_spec(has_schema ? schema : NULL, NULL, input, 0, true, &a);
	fz_compile_spec(has_schema ? schema : NULL, NULL, input, 0, true, &b);
	fz_check("spec", &a, &b);
	fz_result_release(&a);
	fz_result_release(&b);
	return 0;
}
