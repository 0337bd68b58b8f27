/*
 * load_text.c — replaying SQL held in memory (the statements of a run an emitter is writing,
 * to know the schema at its end), like mm_model_load_file does for a file.
 */
#include "model_internal.h"

#include <string.h>

int mm_model_load_text(struct mm_model *m, const char *name, const char *text)
{
	struct mm_arena *a = &m->ctx->arena;
	return mm_model_load_source(m, mm_source_new(a, name, mm_strdup(a, text), strlen(text)));
}
