/*
 * render_ci.c — findings for CI systems: SARIF 2.1.0 (code-scanning UIs; OASIS SARIF v2.1.0,
 * §3.13 sarifLog, §3.27 result), GitHub Actions workflow commands (`::error file=...::msg`,
 * docs.github.com "Workflow commands for GitHub Actions") and the GitLab code quality report
 * (docs.gitlab.com "Code Quality": description, check_name, fingerprint, severity,
 * location.path, location.lines.begin).
 */
#include "render.h"

#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

static const char *level(enum mm_severity s)
{
	return s == MM_ERROR ? "error" : s == MM_WARNING ? "warning" : "note";
}

/* The whole text of a finding for systems that show one message: what, lock, size, why, fix. */
static const char *full_message(struct mm_arena *a, const struct mm_finding *x)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "%s: %s", x->rule->id, x->message);
	const char *lock = ck_lock_text(a, x), *size = ck_size_text(a, x);
	if (lock)
		mm_buf_addf(&b, "\nlock: %s", lock);
	if (size)
		mm_buf_addf(&b, "\nsize: %s", size);
	if (x->note)
		mm_buf_addf(&b, "\nwhy: %s", x->note);
	if (x->fix)
		mm_buf_addf(&b, "\nfix (what mkmig emits):\n%s", x->fix);
	return ck_buf_take(&b, a);
}

/* Stable across runs and unrelated edits: rule, file and the statement's text. */
static const char *fingerprint(struct mm_arena *a, const struct mm_finding *x)
{
	XXH3_state_t state, *st = &state; /* on the stack: one per finding */
	XXH3_INITSTATE(st);
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, x->rule->id, strlen(x->rule->id) + 1);
	XXH3_128bits_update(st, x->src->name, strlen(x->src->name) + 1);
	XXH3_128bits_update(st, x->src->text + x->stmt_off, x->stmt_len);
	XXH3_128bits_update(st, &x->off, sizeof(x->off));
	XXH128_hash_t h = XXH3_128bits_digest(st);
	return mm_sprintf(a, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* A relative path as a URI reference: unreserved characters and '/' kept, the rest %-encoded. */
static const char *uri(struct mm_arena *a, const char *path)
{
	struct mm_buf b = MM_BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			mm_buf_addch(&b, (char)*p);
		else
			mm_buf_addf(&b, "%%%02X", *p);
	}
	return ck_buf_take(&b, a);
}

void ck_render_sarif(struct mm_check *c, struct mm_buf *out)
{
	struct mm_arena *a = &c->ctx->arena;
	mm_buf_adds(out, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n"
	                 "  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": {\n          \"name\": \"mkmig\",\n"
	                 "          \"version\": \"" MKMIG_VERSION "\",\n          \"rules\": [");
	size_t n = mm_check_rule_count();
	for (size_t i = 0; i < n; i++) {
		const struct mm_check_rule *r = mm_check_rule_at(i);
		mm_buf_adds(out, i ? ",\n            {" : "\n            {");
		mm_buf_adds(out, "\"id\": ");
		ck_json_string(out, r->id);
		mm_buf_adds(out, ", \"shortDescription\": {\"text\": ");
		ck_json_string(out, r->summary);
		mm_buf_adds(out, "}, \"fullDescription\": {\"text\": ");
		ck_json_string(out, r->explain);
		mm_buf_adds(out, "}, \"help\": {\"text\": ");
		ck_json_string(out, mm_sprintf(a, "%s (mkmig check --explain %s)", r->explain, r->id));
		mm_buf_addf(out, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, \"properties\": {\"tags\": [",
		            r->category == MM_CHECK_CAT_STYLE ? "warning" : "error");
		ck_json_string(out, mm_check_category_name(r->category));
		mm_buf_adds(out, "]}}");
	}
	mm_buf_adds(out, "\n          ]\n        }\n      },\n      \"columnKind\": \"unicodeCodePoints\",\n      \"results\": [");
	for (size_t i = 0; i < c->findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c->findings, i);
		size_t line, col, ls, le;
		mm_source_position(x->src, x->off, &line, &col);
		mm_source_line(x->src, x->off, &ls, &le);
		size_t ri = 0;
		while (mm_check_rule_at(ri) != x->rule)
			ri++;
		mm_buf_adds(out, i ? ",\n        {" : "\n        {");
		mm_buf_adds(out, "\"ruleId\": ");
		ck_json_string(out, x->rule->id);
		mm_buf_addf(out, ", \"ruleIndex\": %zu, \"level\": \"%s\", \"message\": {\"text\": ", ri, level(x->severity));
		ck_json_string(out, full_message(a, x));
		mm_buf_adds(out, "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
		ck_json_string(out, uri(a, x->src->name));
		mm_buf_addf(out, "}, \"region\": {\"startLine\": %zu, \"startColumn\": %zu, \"snippet\": {\"text\": ", line, col);
		ck_json_string(out, mm_strndup(a, x->src->text + ls, le - ls));
		mm_buf_adds(out, "}}}}], \"partialFingerprints\": {\"mkmig/v1\": ");
		ck_json_string(out, fingerprint(a, x));
		mm_buf_adds(out, "}}");
	}
	mm_buf_adds(out, c->findings.len ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n");
}

/* Workflow command escaping: data escapes %, CR, LF; properties also ':' and ','. */
static void gh_escape(struct mm_buf *b, const char *s, bool property)
{
	for (const char *p = s; *p; p++) {
		if (*p == '%')
			mm_buf_adds(b, "%25");
		else if (*p == '\r')
			mm_buf_adds(b, "%0D");
		else if (*p == '\n')
			mm_buf_adds(b, "%0A");
		else if (property && *p == ':')
			mm_buf_adds(b, "%3A");
		else if (property && *p == ',')
			mm_buf_adds(b, "%2C");
		else
			mm_buf_addch(b, *p);
	}
}

void ck_render_github(struct mm_check *c, struct mm_buf *out)
{
	struct mm_arena *a = &c->ctx->arena;
	for (size_t i = 0; i < c->findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c->findings, i);
		size_t line, col;
		mm_source_position(x->src, x->off, &line, &col);
		mm_buf_addf(out, "::%s file=", x->severity == MM_ERROR ? "error" : x->severity == MM_WARNING ? "warning" : "notice");
		gh_escape(out, x->src->name, true);
		mm_buf_addf(out, ",line=%zu,col=%zu,title=", line, col);
		gh_escape(out, mm_sprintf(a, "mkmig %s", x->rule->id), true);
		mm_buf_adds(out, "::");
		gh_escape(out, full_message(a, x), false);
		mm_buf_addch(out, '\n');
	}
}

void ck_render_gitlab(struct mm_check *c, struct mm_buf *out)
{
	struct mm_arena *a = &c->ctx->arena;
	mm_buf_adds(out, "[");
	for (size_t i = 0; i < c->findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c->findings, i);
		size_t line, col;
		mm_source_position(x->src, x->off, &line, &col);
		mm_buf_adds(out, i ? ",\n  {" : "\n  {");
		mm_buf_adds(out, "\"description\": ");
		ck_json_string(out, full_message(a, x));
		mm_buf_adds(out, ", \"check_name\": ");
		ck_json_string(out, x->rule->id);
		mm_buf_adds(out, ", \"fingerprint\": ");
		ck_json_string(out, fingerprint(a, x));
		mm_buf_addf(out, ", \"severity\": \"%s\", \"location\": {\"path\": ",
		            x->severity == MM_ERROR ? "major" : x->severity == MM_WARNING ? "minor" : "info");
		ck_json_string(out, x->src->name);
		mm_buf_addf(out, ", \"lines\": {\"begin\": %zu}}}", line);
	}
	mm_buf_adds(out, c->findings.len ? "\n]\n" : "]\n");
}
