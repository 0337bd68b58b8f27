/*
 * stage.c — one --out run's files written as a unit that a SIGKILL cannot split.
 *
 * Every file of the run is first written under DIR/.mkmig-tmp/<pid>/ as <n>.part. No runner reads
 * such a name (Flyway wants V<ver>__<desc>.sql, golang-migrate/goose/dbmate read *.sql in the top
 * directory only, Liquibase and sqitch read what their changelog/plan names; shared/formats.md),
 * and mkmig's own version choice skips dot entries. Once every part is on disk, a "commit" file
 * naming each part's destination is renamed into place: that rename is the run's commit point.
 * Then new files are linked to their names and extended files (and mkmig.sum) renamed over theirs.
 * A kill before the commit point leaves only the hidden directory, which the next run removes; a
 * kill after it is finished by the next run (mm_stage_recover), which links what is missing.
 */
#define _DEFAULT_SOURCE
#include "mkmig/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE_DIR ".mkmig-tmp"

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = mm_xmalloc(n);
	snprintf(s, n, "%s/%s", a, b);
	return s;
}

static int write_whole(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno ? errno : EIO;
			close(fd);
			errno = e;
			return -1;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static void sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Remove a stage directory's files (parts, commit) and the directory itself. */
static void remove_stage(const char *stage)
{
	DIR *d = opendir(stage);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char *p = join(stage, e->d_name);
				unlink(p);
				free(p);
			}
		closedir(d);
	}
	rmdir(stage);
}

/* The commit file: per entry "N\0" ("0" new file, "1" replaced) then the path relative to DIR
 * and a NUL; mkmig chose these paths, but NUL cannot occur in any of them. */
static int place(const char *dir, const char *stage, const char *commit, size_t len, bool recovering)
{
	size_t i = 0, k = 0;
	while (i < len) {
		bool replace = commit[i] == '1';
		i += 2;
		const char *rel = commit + i;
		i += strlen(rel) + 1;
		char name[32];
		snprintf(name, sizeof(name), "%zu.part", k++);
		char *part = join(stage, name), *dest = join(dir, rel);
		char *slash = strrchr(dest, '/');
		*slash = '\0';
		mm_mkdir_p(dest);
		*slash = '/';
		int rc = 0;
		struct stat st;
		if (lstat(part, &st) != 0)
			rc = 0; /* placed before the kill (a rename consumed it) */
		else if (replace)
			rc = rename(part, dest);
		else if (link(part, dest) != 0)
			/* After a kill the link may have happened already; the same inode is then there. */
			rc = recovering && errno == EEXIST ? 0 : -1;
		int e = errno;
		free(part);
		free(dest);
		if (rc != 0 && !recovering && !replace) {
			/* A file appeared at a new name since the check: take back the links made so far
			 * (new files come before every replaced one, so nothing was replaced yet). */
			for (size_t j = 0, at = 0; j + 1 < k; j++) {
				const char *r = commit + at + 2;
				char *undo = join(dir, r);
				unlink(undo);
				free(undo);
				at += 2 + strlen(r) + 1;
			}
			errno = e;
			return -2;
		}
		if (rc != 0) {
			errno = e;
			return -1;
		}
	}
	return 0;
}

int mm_stage_recover(const char *dir)
{
	char *top = join(dir, STAGE_DIR);
	DIR *d = opendir(top);
	if (!d) {
		free(top);
		return 0;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		/* A stage of a live mkmig (another run at the same time) is its own business. */
		if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		char *stage = join(top, e->d_name), *cpath = join(stage, "commit");
		char *commit = NULL;
		size_t len = 0;
		if (mm_read_file(cpath, &commit, &len, (size_t)1 << 24) == 0) {
			if (place(dir, stage, commit, len, true) != 0)
				rc = -1;
			free(commit);
		}
		if (rc == 0)
			remove_stage(stage);
		free(stage);
		free(cpath);
	}
	closedir(d);
	rmdir(top);
	free(top);
	return rc;
}

int mm_stage_write(const char *dir, const char *const *rels, const char *const *texts, const size_t *lens,
                   const bool *replace, size_t n, size_t *failed)
{
	char *top = join(dir, STAGE_DIR);
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	char *stage = join(top, pid);
	struct mm_buf commit = MM_BUF_INIT;
	int e = 0;
	size_t i = 0;
	struct stat st;
	for (i = 0; i < n; i++) {
		char *dest = join(dir, rels[i]);
		int there = lstat(dest, &st) == 0;
		free(dest);
		if (!replace[i] && there) {
			e = EEXIST;
			goto fail;
		}
	}
	i = 0;
	if ((mkdir(top, 0755) != 0 && errno != EEXIST) || (mkdir(stage, 0700) != 0 && errno != EEXIST)) {
		e = errno;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%zu.part", i);
		char *part = join(stage, name);
		int rc = write_whole(part, texts[i], lens[i]);
		e = errno;
		free(part);
		if (rc != 0)
			goto fail;
		mm_buf_addf(&commit, "%c", replace[i] ? '1' : '0');
		mm_buf_add(&commit, "", 1);
		mm_buf_add(&commit, rels[i], strlen(rels[i]) + 1);
	}
	char *ctmp = join(stage, "commit.new"), *cpath = join(stage, "commit");
	int rc = write_whole(ctmp, commit.buf, commit.len);
	if (rc == 0)
		rc = rename(ctmp, cpath);
	e = errno;
	free(ctmp);
	free(cpath);
	if (rc != 0) {
		i = 0;
		goto fail;
	}
	sync_dir(stage);
	/* Committed: from here on the next run finishes what a kill interrupts. */
	rc = place(dir, stage, commit.buf, commit.len, false);
	e = errno;
	i = 0;
	if (rc == -2)
		goto fail;
	if (rc != 0)
		goto fail_committed;
	sync_dir(dir);
	remove_stage(stage);
	rmdir(top);
	mm_buf_release(&commit);
	free(stage);
	free(top);
	return 0;
fail:
	remove_stage(stage);
	rmdir(top);
fail_committed:
	*failed = i < n ? i : 0;
	mm_buf_release(&commit);
	free(stage);
	free(top);
	errno = e;
	return -1;
}
