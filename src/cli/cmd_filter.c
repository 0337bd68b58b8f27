/*
 * cmd_filter.c — the one compile → plan → output path. The default verb (naive SQL in, one
 * psql-runnable script out, or with --down the script that undoes it), `mkmig apply FILE` and
 * every change-spec verb (`mkmig rename ...`, cmd_spec.c) run cmd_filter; `mkmig plan` is the
 * same compilation, explained.
 *
 * Nothing runs ahead of the deploy: the script stops at the first checkpoint unless
 * --phase contract or --all-phases says otherwise, and stderr says what was held back and the
 * exact command that prints it (design.md, "Multi-deploy changes").
 */
#include "cli.h"
#include "mkmig/emit.h"
#include "mkmig/layout.h"
#include "mkmig/spec.h"

#include <string.h>

static bool is_spec_file(const struct cli_args *args, const char *path)
{
	size_t n = strlen(path), e = strlen(MM_SPEC_EXT);
	return (args->verb && (args->verb->flags & CLI_SPEC_FILES)) || (n > e && strcmp(path + n - e, MM_SPEC_EXT) == 0);
}

/* Every input, in order, as one change list: the verb's statement, spec files, SQL files. */
static int read_changes(struct mm_ctx *ctx, struct cli_args *args, struct mm_change_list *out)
{
	if (args->spec_verb) {
		const char *text = mm_spec_join_words(&ctx->arena, args->spec_verb, (const char *const *)args->files.items,
		                                      args->files.len);
		struct mm_source *src = mm_source_new(&ctx->arena, "<command line>", text, strlen(text));
		args->spec = mm_spec_new(ctx);
		return mm_spec_parse(ctx, args->spec, src, out);
	}
	if (!args->files.len)
		mm_vec_push(&ctx->arena, &args->files, "-");
	int rc = 0;
	for (size_t i = 0; i < args->files.len; i++) {
		const char *path = mm_vec_at(&args->files, i);
		struct mm_source *src = mm_sql_read(ctx, path);
		if (!src) {
			rc = -1;
			continue;
		}
		if (is_spec_file(args, path)) {
			if (!args->spec)
				args->spec = mm_spec_new(ctx);
			if (mm_spec_parse(ctx, args->spec, src, out) != 0)
				rc = -1;
			continue;
		}
		struct mm_stmt_list stmts = { 0 };
		if (mm_sql_parse(ctx, src, &stmts) != 0)
			rc = -1;
		else
			mm_changes_from_stmts(ctx, &stmts, out);
	}
	return rc;
}

/* Front end → model → changes → plan. Returns 0, or -1 with errors in ctx. */
static int compile(struct mm_ctx *ctx, struct cli_args *args, struct mm_plan *plan)
{
	struct mm_model *model;
	if (cli_load_model(ctx, args, &model) != 0)
		return -1;
	struct mm_change_list changes = { 0 };
	if (read_changes(ctx, args, &changes) != 0)
		return -1;
	return mm_plan_build(ctx, model, &changes, plan);
}

static enum mm_phase_sel selection(const struct cli_args *args)
{
	static const enum mm_phase_sel map[] = {
		[CLI_PHASE_DEFAULT] = MM_SEL_UNTIL_CHECKPOINT, [CLI_PHASE_CONTRACT] = MM_SEL_CONTRACT, [CLI_PHASE_ALL] = MM_SEL_ALL,
	};
	return map[args->phase];
}

/* Warnings that must reach a person even when the script goes to a file (the printed steps'). */
static void report_warnings(struct mm_ctx *ctx, const struct mm_plan *plan, bool down, enum mm_phase_sel sel)
{
	for (size_t i = 0; i < plan->steps.len; i++) {
		const struct mm_step *s = mm_vec_at(&plan->steps, i);
		const char *w = down ? s->down_warning : s->warning;
		if (w && mm_plan_selects(plan, s, sel))
			mm_warn(ctx, s->change->stmt->src, s->change->stmt->off, s->change->stmt->len, "%s", w);
	}
}

/* The command as typed, plus --phase contract: what prints the held-back part. */
static const char *rest_command(struct mm_ctx *ctx, const struct cli_args *args)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, "mkmig");
	for (int i = 1; i < args->argc; i++) {
		const char *w = args->argv[i];
		bool plain = *w != '\0';
		for (const char *p = w; *p && plain; p++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./,:=@%+-", *p) != NULL;
		if (plain) {
			mm_buf_addf(&b, " %s", w);
			continue;
		}
		mm_buf_adds(&b, " '");
		for (const char *p = w; *p; p++)
			*p == '\'' ? mm_buf_adds(&b, "'\\''") : mm_buf_addch(&b, *p);
		mm_buf_addch(&b, '\'');
	}
	mm_buf_adds(&b, " --phase contract");
	if (!args->spec_verb && args->files.len == 1 && strcmp(mm_vec_at(&args->files, 0), "-") == 0)
		mm_buf_adds(&b, " (with the same standard input)");
	char *s = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return s;
}

static void note_selection(struct mm_ctx *ctx, const struct cli_args *args, const struct mm_plan *plan, enum mm_phase_sel sel)
{
	const struct mm_checkpoint *cp = mm_plan_checkpoint_first(plan);
	size_t held = mm_plan_count(plan, MM_SEL_CONTRACT);
	if (sel == MM_SEL_UNTIL_CHECKPOINT && cp && held)
		mm_note(ctx, NULL, 0, 0, "%s%s contract phase (%zu step%s) is held back: first %s; then print it with:\n  %s",
		        args->down ? "--down: the undo of the" : "", args->down ? "" : "the", held, held == 1 ? "" : "s",
		        mm_plan_checkpoint_message(ctx, plan, cp->before), rest_command(ctx, args));
	else if (sel == MM_SEL_CONTRACT && !held)
		mm_note(ctx, NULL, 0, 0, "nothing follows a checkpoint: the script without --phase contract is the whole change");
}

int cmd_filter(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_plan plan = { 0 };
	const struct mm_layout *layout = NULL;
	if (args->out && args->down) {
		mm_error(ctx, NULL, 0, 0, "--out writes the downs beside the ups; --down is for the filter's script");
		return MM_EXIT_USAGE;
	}
	if (args->out && args->phase != CLI_PHASE_DEFAULT) {
		mm_error(ctx, NULL, 0, 0,
		         "--out writes the steps up to the checkpoint and keeps the contract pending in %s; write it "
		         "with 'mkmig complete --out %s' once the application is deployed",
		         MM_MANIFEST_NAME, args->out);
		return MM_EXIT_USAGE;
	}
	if ((args->out && cli_out_prepare(ctx, args, &layout) != 0) || compile(ctx, args, &plan) != 0 ||
	    ctx->diags.nerrors)
		return MM_EXIT_USAGE;
	/* --out writes up to the checkpoint and records the rest: its warnings are all said now. */
	enum mm_phase_sel sel = args->out ? MM_SEL_ALL : selection(args);
	report_warnings(ctx, &plan, args->down, sel);
	if (args->out)
		return cli_out_write(ctx, args, layout, &plan, false) ? MM_EXIT_USAGE : MM_EXIT_OK;
	mm_emit_psql_to(ctx, &plan, args->down ? MM_DOWN : MM_UP, sel, stdout);
	note_selection(ctx, args, &plan, sel);
	return MM_EXIT_OK;
}

int cmd_plan(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_plan plan = { 0 };
	const struct mm_layout *layout = NULL;
	/* `mkmig plan rename users.user_name username`: the statement's plan. */
	if (args->files.len && mm_spec_is_verb(mm_vec_at(&args->files, 0))) {
		args->spec_verb = mm_vec_at(&args->files, 0);
		args->files.items++;
		args->files.len--;
	}
	if ((args->out && cli_out_prepare(ctx, args, &layout) != 0) || compile(ctx, args, &plan) != 0 ||
	    ctx->diags.nerrors)
		return MM_EXIT_USAGE;
	struct mm_buf out = MM_BUF_INIT;
	mm_emit_plan_text(ctx, &plan, &out);
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	if (args->out) {
		fputc('\n', stdout);
		fflush(stdout);
		if (cli_out_write(ctx, args, layout, &plan, true) != 0)
			return MM_EXIT_USAGE;
	}
	return MM_EXIT_OK;
}
