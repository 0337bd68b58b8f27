/*
 * golden.c — the fixture runner: runs mkmig on a fixture directory and compares every output
 * with the exact expected bytes.
 *
 * A fixture is fixtures/<area>/<case>/ holding input.sql (or input.mkmig, a change spec),
 * optionally schema.sql (passed as
 * --schema) and args (extra arguments, one per line, '#' comments), and expected/. Each row of
 * `runs` below is one invocation; it runs when any of its expected files exists:
 *   expected/<stdout file>     exact stdout       (e.g. up.sql, down.sql, plan.txt)
 *   expected/<kind>.stderr     exact stderr       (absent: stderr must be empty)
 *   expected/<kind>.status     exit status        (absent: 0)
 * mkmig runs inside the fixture directory with relative file names, so messages are stable.
 * SQL outputs must re-parse with libpg_query (design contract 6), and the up run is done twice
 * to prove the output is deterministic. MKMIG_UPDATE_GOLDEN=1 rewrites the expected files
 * (for a fixture with no expected/ yet it records up, down and plan).
 */
#define _XOPEN_SOURCE 700
#include "mkmig/sql.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	const char *kind;
	const char *verb;    /* NULL: the default filter verb */
	const char *flag;    /* extra flag, or NULL */
	const char *out;     /* expected stdout file */
	bool sql;            /* stdout must parse as SQL */
	const char *flag2;   /* a second extra flag, or NULL */
};

/* up/down are the default selection (up to the first checkpoint); contract/down-contract what
 * follows it (run when their expected files exist). */
static const struct run runs[] = {
	{ "up", NULL, NULL, "up.sql", true, NULL },
	{ "down", NULL, "--down", "down.sql", true, NULL },
	{ "plan", "plan", NULL, "plan.txt", false, NULL },
	{ "check", "check", NULL, "check.txt", false, NULL },
	{ "contract", NULL, "--phase=contract", "contract.sql", true, NULL },
	{ "down-contract", NULL, "--down", "down-contract.sql", true, "--phase=contract" },
};

struct result {
	char *out, *err;
	size_t out_len, err_len;
	int status;
};

static bool exists(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static char *slurp(const char *path, size_t *len)
{
	char *s;
	if (mm_read_file(path, &s, len, (size_t)1 << 30) != 0)
		return NULL;
	return s;
}

static char *slurp_fd(int fd, size_t *len)
{
	struct mm_buf b = MM_BUF_INIT;
	char tmp[65536];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		mm_buf_add(&b, tmp, (size_t)n);
	return mm_buf_detach(&b, len);
}

/* Run mkmig in dir with argv; stdout and stderr go to temp files (no pipe deadlock). */
static struct result run_mkmig(const char *bin, const char *dir, char **argv)
{
	struct result r = { 0 };
	char outp[] = "/tmp/mkmig-golden-out-XXXXXX", errp[] = "/tmp/mkmig-golden-err-XXXXXX";
	int ofd = mkstemp(outp), efd = mkstemp(errp);
	if (ofd < 0 || efd < 0) {
		perror("mkstemp");
		exit(2);
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		setenv("NO_COLOR", "1", 1);
		execv(bin, argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	r.out = slurp_fd(ofd, &r.out_len);
	r.err = slurp_fd(efd, &r.err_len);
	close(ofd);
	close(efd);
	unlink(outp);
	unlink(errp);
	return r;
}

static void show_diff(const char *label, const char *expected_path, const char *actual, size_t len)
{
	char tmp[] = "/tmp/mkmig-golden-actual-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0 || write(fd, actual, len) != (ssize_t)len) {
		perror("write");
		exit(2);
	}
	close(fd);
	fprintf(stderr, "--- %s differs (expected %s)\n", label, expected_path);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "diff -u --label expected --label actual '%s' '%s' >&2",
	         access(expected_path, F_OK) == 0 ? expected_path : "/dev/null", tmp);
	if (system(cmd) == -1)
		perror("system");
	unlink(tmp);
}

/* Compare actual bytes with the expected file (missing file = expected empty). */
static int compare(const char *label, const char *path, const char *actual, size_t len, bool update)
{
	size_t elen = 0;
	char *expected = slurp(path, &elen);
	bool same = expected ? elen == len && memcmp(expected, actual, len) == 0 : len == 0;
	free(expected);
	if (same)
		return 0;
	if (update) {
		if (len == 0) {
			unlink(path);
		} else if (mm_write_file_atomic(path, actual, len, true) != 0) {
			perror(path);
			return 1;
		}
		fprintf(stderr, "updated %s\n", path);
		return 0;
	}
	show_diff(label, path, actual, len);
	return 1;
}

static int reparse(const char *label, const char *sql, size_t len)
{
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	struct mm_source *src = mm_source_new(&ctx.arena, label, mm_strndup(&ctx.arena, sql, len), len);
	struct mm_stmt_list l = { 0 };
	int rc = mm_sql_parse(&ctx, src, &l);
	if (rc != 0) {
		fprintf(stderr, "--- %s does not parse with libpg_query:\n", label);
		mm_diags_print(&ctx.diags, stderr, false);
	}
	mm_ctx_release(&ctx);
	return rc != 0;
}

static void read_args(const char *dir, char **argv, int *argc, int max)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/args", dir);
	size_t len;
	char *text = slurp(p, &len);
	if (!text)
		return;
	for (char *line = strtok(text, "\n"); line && *argc < max - 8; line = strtok(NULL, "\n")) {
		if (!*line || line[0] == '#')
			continue;
		argv[(*argc)++] = mm_xstrdup(line);
	}
	free(text);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: golden MKMIG_BIN FIXTURE_DIR\n");
		return 2;
	}
	char *bin = realpath(argv[1], NULL);
	const char *dir = argv[2];
	if (!bin) {
		perror(argv[1]);
		return 2;
	}
	bool update = getenv("MKMIG_UPDATE_GOLDEN") && strcmp(getenv("MKMIG_UPDATE_GOLDEN"), "1") == 0;
	char expdir[4096];
	snprintf(expdir, sizeof(expdir), "%s/expected", dir);
	bool fresh = access(expdir, F_OK) != 0;
	if (fresh && !update) {
		fprintf(stderr, "%s: no expected/ directory (record it with MKMIG_UPDATE_GOLDEN=1)\n", dir);
		return 1;
	}
	if (fresh)
		mm_mkdir_p(expdir);
	int failures = 0, ran = 0;
	for (size_t i = 0; i < MM_ARRAY_LEN(runs); i++) {
		const struct run *rn = &runs[i];
		char f_out[256], f_err[256], f_status[256];
		snprintf(f_out, sizeof(f_out), "expected/%s", rn->out);
		snprintf(f_err, sizeof(f_err), "expected/%s.stderr", rn->kind);
		snprintf(f_status, sizeof(f_status), "expected/%s.status", rn->kind);
		bool wanted = exists(dir, f_out) || exists(dir, f_err) || exists(dir, f_status) ||
		              (fresh && (i < 3));
		if (!wanted)
			continue;
		ran++;
		char *av[64];
		int ac = 0;
		av[ac++] = (char *)"mkmig";
		if (rn->verb)
			av[ac++] = (char *)rn->verb;
		if (rn->flag)
			av[ac++] = (char *)rn->flag;
		if (rn->flag2)
			av[ac++] = (char *)rn->flag2;
		if (exists(dir, "schema.sql")) {
			av[ac++] = (char *)"--schema";
			av[ac++] = (char *)"schema.sql";
		}
		int first_arg = ac;
		read_args(dir, av, &ac, 64);
		av[ac++] = (char *)(exists(dir, "input.mkmig") ? "input.mkmig" : "input.sql");
		av[ac] = NULL;
		struct result r = run_mkmig(bin, dir, av);
		char path[4096], label[512];
		snprintf(path, sizeof(path), "%s/%s", dir, f_out);
		snprintf(label, sizeof(label), "%s stdout", rn->kind);
		failures += compare(label, path, r.out, r.out_len, update);
		snprintf(path, sizeof(path), "%s/%s", dir, f_err);
		snprintf(label, sizeof(label), "%s stderr", rn->kind);
		failures += compare(label, path, r.err, r.err_len, update);
		char st[16];
		int stn = r.status ? snprintf(st, sizeof(st), "%d\n", r.status) : 0;
		snprintf(path, sizeof(path), "%s/%s", dir, f_status);
		snprintf(label, sizeof(label), "%s exit status", rn->kind);
		failures += compare(label, path, st, (size_t)stn, update);
		if (rn->sql && r.status == 0) {
			snprintf(label, sizeof(label), "%s output", rn->kind);
			failures += reparse(label, r.out, r.out_len);
		}
		if (i == 0) {
			struct result again = run_mkmig(bin, dir, av);
			if (again.out_len != r.out_len || memcmp(again.out, r.out, r.out_len) != 0) {
				fprintf(stderr, "--- up output differs between two runs (not deterministic)\n");
				failures++;
			}
			free(again.out);
			free(again.err);
		}
		for (int k = first_arg; k < ac - 1; k++)
			free(av[k]);
		free(r.out);
		free(r.err);
	}
	mm_sql_shutdown();
	free(bin);
	if (!ran) {
		fprintf(stderr, "%s: expected/ holds no known output file\n", dir);
		return 1;
	}
	printf("%s: %s\n", dir, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
