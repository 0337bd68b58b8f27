/*
 * fuzz_dir.c — libFuzzer target: the migrations-directory loader (--dir), file names and
 * contents. The input describes a directory: each line "@@ NAME" starts a file of that name
 * (a relative path; '/' makes subdirectories), the lines up to the next "@@ " line are its
 * contents. The tree is written to a fresh scratch directory, loaded as `--dir` with a small
 * naive change as INPUT, and checked like the filter target (clean error, or output that
 * re-parses, the same twice).
 */
#include "fuzz_common.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The change planned against the loaded schema: harmless whatever the directory holds (a new
 * table is never an unknown name). */
static const char fz_dir_input[] = "CREATE TABLE mkmig_fuzz_probe (id int PRIMARY KEY);\n";

/* Make a file name safe to create under root: no NUL, no empty, "." or ".." components, at most
 * 4 levels and 200 bytes; creates the parent directories. Returns false to skip the file. */
static bool place(const char *root, const uint8_t *name, size_t n, char *path, size_t cap)
{
	char rel[256];
	if (n == 0 || n > 200)
		return false;
	size_t depth = 0, comp = 0;
	for (size_t i = 0; i < n; i++) {
		char c = (char)name[i];
		if (c == '\0' || c == '\r')
			return false;
		if (c == '/') {
			if (comp == 0 || ++depth > 4)
				return false;
			comp = 0;
		} else {
			comp++;
		}
		rel[i] = c;
	}
	rel[n] = '\0';
	if (comp == 0)
		return false;
	for (char *p = rel; p;) {
		char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p = slash ? slash + 1 : NULL;
	}
	snprintf(path, cap, "%s/%s", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char root[4200], input[4200], path[4600];
	snprintf(root, sizeof(root), "%s/dir", fz_scratch());
	snprintf(input, sizeof(input), "%s/input.sql", fz_scratch());
	fz_rmtree(root);
	mkdir(root, 0700);
	fz_write(input, fz_dir_input, sizeof(fz_dir_input) - 1);
	int files = 0;
	for (size_t off = 0; off < size && files < 16;) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t line_end = nl ? (size_t)(nl - data) : size;
		if (line_end - off < 3 || memcmp(data + off, "@@ ", 3) != 0) {
			off = line_end + 1;
			continue;
		}
		const uint8_t *name = data + off + 3;
		size_t name_len = line_end - off - 3;
		size_t body = line_end + 1 < size ? line_end + 1 : size, end = body;
		while (end < size) {
			const uint8_t *n2 = memchr(data + end, '\n', size - end);
			size_t le = n2 ? (size_t)(n2 - data) : size;
			if (le - end >= 3 && memcmp(data + end, "@@ ", 3) == 0)
				break;
			end = le + 1 < size ? le + 1 : size;
		}
		if (place(root, name, name_len, path, sizeof(path))) {
			struct stat st;
			if (stat(path, &st) != 0 && fz_write_try(path, data + body, end - body))
				files++;
		}
		off = end;
	}
	struct fz_result a, b;
	fz_compile(NULL, root, input, 0, &a);
	fz_compile(NULL, root, input, 0, &b);
	fz_check("dir", &a, &b);
	fz_result_release(&a);
	fz_result_release(&b);
	fz_rmtree(root);
	return 0;
}
