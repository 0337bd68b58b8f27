/*
 * render.h — helpers shared by the check renderers (render.c, render_ci.c).
 */
#ifndef MKMIG_CHECK_RENDER_H
#define MKMIG_CHECK_RENDER_H

#include "check_internal.h"

const char *ck_severity_name(enum mm_severity s);
void ck_json_string(struct mm_buf *b, const char *s);
const char *ck_human_bytes(struct mm_arena *a, int64_t b);
const char *ck_duration(struct mm_arena *a, double seconds);
const char *ck_lock_text(struct mm_arena *a, const struct mm_finding *x);
const char *ck_size_text(struct mm_arena *a, const struct mm_finding *x);

void ck_render_sarif(struct mm_check *c, struct mm_buf *out);
void ck_render_github(struct mm_check *c, struct mm_buf *out);
void ck_render_gitlab(struct mm_check *c, struct mm_buf *out);

#endif
