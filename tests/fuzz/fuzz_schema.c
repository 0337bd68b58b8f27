/*
 * fuzz_schema.c — libFuzzer target: any bytes as a --schema file (pg_dump -s output or
 * concatenated migrations), replayed into the model, which is then printed as `mkmig debug
 * schema` prints it. A load either succeeds or reports an error with a message; twice the same
 * input gives the same model text.
 */
#include "fuzz_common.h"
#include "mkmig/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int load(const char *path, struct mm_buf *out)
{
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	struct mm_model *m = mm_model_new(&ctx);
	int rc = mm_model_load_file(m, path);
	bool failed = rc != 0 || ctx.diags.nerrors;
	if (failed && !ctx.diags.nerrors) {
		fprintf(stderr, "fuzz schema: the load failed without an error\n");
		abort();
	}
	if (!failed)
		mm_model_dump(m, out, false);
	for (size_t i = 0; i < ctx.diags.items.len; i++)
		mm_diag_render(out, mm_vec_at(&ctx.diags.items, i), false);
	mm_ctx_release(&ctx);
	return failed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/schema.sql", fz_scratch());
	fz_write(path, data, size);
	struct mm_buf a = MM_BUF_INIT, b = MM_BUF_INIT;
	int fa = load(path, &a), fb = load(path, &b);
	if (fa != fb || a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0) {
		fprintf(stderr, "fuzz schema: two loads of the same file differ\n----\n%s\n----\n%s\n", a.buf, b.buf);
		abort();
	}
	mm_buf_release(&a);
	mm_buf_release(&b);
	return 0;
}
