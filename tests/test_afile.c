/*
 * test_afile - unit tests for src/lib/afile.c: content and mode, atomic
 * replacement, no temporary left behind, clean failures, symlinks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/afile.h"
#include "tlib.h"

/* slurp - a file's content (static buffer), length in *n; NULL on error */
static const char *
slurp(const char *path, size_t *n)
{
	static char buf[4 * 1024 * 1024];
	int fd = open(path, O_RDONLY);
	ssize_t k;

	*n = 0;
	if (fd < 0)
		return NULL;
	while ((k = read(fd, buf + *n, sizeof(buf) - *n)) > 0)
		*n += (size_t)k;
	close(fd);
	return buf;
}

/* has_content - path holds exactly s */
static bool
has_content(const char *path, const char *s)
{
	size_t n;
	const char *p = slurp(path, &n);

	return p && n == strlen(s) && memcmp(p, s, n) == 0;
}

/* name_cmp - qsort comparator for the names of dir_entries */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* dir_entries - names in dir (without . and ..), joined by '/' */
static const char *
dir_entries(const char *dir)
{
	static char out[4096];
	char names[64][256];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = 0;
	if (d == NULL)
		return "(error)";
	while ((e = readdir(d)) != NULL && n < 64)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	/* sorted, so that the result can be compared */
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		if (i)
			strncat(out, "/", sizeof(out) - strlen(out) - 1);
		strncat(out, names[i], sizeof(out) - strlen(out) - 1);
	}
	return out;
}

/* fresh_dir - an empty directory under the test's tmpdir */
static const char *
fresh_dir(const char *name)
{
	static char path[4][1024];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", t_tmpdir(), name);
	T_OK(mkdir(p, 0755) == 0);
	return p;
}

/* test_write - content and mode, for several modes and sizes */
static void
test_write(void)
{
	static const struct {
		const char *name;
		mode_t mode;
		size_t len;
	} cases[] = {
	    {"m600", 0600, 6},
	    {"m640", 0640, 6},
	    {"m644", 0644, 100},
	    {"m444", 0444, 10},
	    {"m2750", 02750, 3},
	    {"empty", 0644, 0},
	    {"big", 0600, 3 * 1024 * 1024 + 17},
	};
	const char *dir = fresh_dir("write");
	mode_t old_umask = umask(077);
	static char data[4 * 1024 * 1024];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 + i / 1000);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[1100];
		struct stat st;
		size_t n;
		const char *got;

		T_CASE(cases[i].name);
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
		errno = 0;
		T_EQ_INT(
		    afile_write(path, data, cases[i].len, cases[i].mode), 0);
		T_OK(stat(path, &st) == 0);
		T_OK(S_ISREG(st.st_mode));
		/* the mode is what was asked for, whatever the umask */
		T_EQ_INT(st.st_mode & 07777, cases[i].mode);
		T_EQ_INT(st.st_size, cases[i].len);
		got = slurp(path, &n);
		T_OK(got != NULL);
		T_EQ_INT(n, cases[i].len);
		T_OK(got && memcmp(got, data, n) == 0);
	}
	T_CASE(NULL);
	umask(old_umask);
	/* nothing but the targets */
	T_EQ_STR(dir_entries(dir), "big/empty/m2750/m444/m600/m640/m644");
}

/* test_replace - the old file is replaced as a whole, by rename */
static void
test_replace(void)
{
	const char *dir = fresh_dir("replace");
	char path[1100], hard[1100];
	struct stat before, after;
	int fd;
	char buf[64];

	snprintf(path, sizeof(path), "%s/map", dir);
	snprintf(hard, sizeof(hard), "%s/hardlink", dir);
	t_write_file(path, "old content, longer than the new one\n");
	chmod(path, 0600);
	T_OK(stat(path, &before) == 0);
	T_OK(link(path, hard) == 0);
	/* a reader that has the old file open keeps seeing it whole */
	fd = open(path, O_RDONLY);
	T_OK(fd >= 0);

	T_EQ_INT(afile_write(path, "new\n", 4, 0644), 0);
	T_OK(has_content(path, "new\n"));
	T_OK(stat(path, &after) == 0);
	T_OK(after.st_ino != before.st_ino);
	T_EQ_INT(after.st_mode & 07777, 0644);
	T_EQ_INT(after.st_nlink, 1);
	/* the old inode is untouched, not truncated and rewritten */
	T_OK(has_content(hard, "old content, longer than the new one\n"));
	ssize_t k = read(fd, buf, sizeof(buf) - 1);
	T_EQ_INT(k, 37);
	close(fd);

	/* again and again: always one whole version */
	for (int i = 0; i < 50; i++) {
		char content[64];

		snprintf(content, sizeof(content), "version %d\n", i);
		T_EQ_INT(afile_write(path, content, strlen(content), 0640), 0);
		T_OK(has_content(path, content));
	}
	T_EQ_STR(dir_entries(dir), "hardlink/map");
}

/* test_failures - missing directory, target is a directory */
static void
test_failures(void)
{
	const char *dir = fresh_dir("fail");
	char path[1100];
	struct stat st;

	/* a missing directory: -1, ENOENT, nothing created */
	snprintf(path, sizeof(path), "%s/missing/file", dir);
	errno = 0;
	T_EQ_INT(afile_write(path, "x", 1, 0644), -1);
	T_EQ_INT(errno, ENOENT);
	T_EQ_STR(dir_entries(dir), "");

	/* the target is a directory: -1, the directory is intact, no
	 * temporary file left next to it */
	snprintf(path, sizeof(path), "%s/adir", dir);
	T_OK(mkdir(path, 0755) == 0);
	errno = 0;
	T_EQ_INT(afile_write(path, "x", 1, 0644), -1);
	T_OK(errno != 0);
	T_OK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	T_EQ_STR(dir_entries(dir), "adir");

	/* a file where a directory should be */
	snprintf(path, sizeof(path), "%s/plain", dir);
	t_write_file(path, "x");
	snprintf(path, sizeof(path), "%s/plain/file", dir);
	errno = 0;
	T_EQ_INT(afile_write(path, "x", 1, 0644), -1);
	T_EQ_INT(errno, ENOTDIR);
	T_EQ_STR(dir_entries(dir), "adir/plain");

	/* a directory we may not write to (not checked as root, who may) */
	if (geteuid() != 0) {
		char ro[1000];

		snprintf(ro, sizeof(ro), "%s/ro", dir);
		T_OK(mkdir(ro, 0555) == 0);
		snprintf(path, sizeof(path), "%s/file", ro);
		errno = 0;
		T_EQ_INT(afile_write(path, "x", 1, 0644), -1);
		T_EQ_INT(errno, EACCES);
		T_EQ_STR(dir_entries(ro), "");
		chmod(ro, 0755);
	}
}

/* test_symlinks - symlinks planted by someone else are not followed */
static void
test_symlinks(void)
{
	const char *dir = fresh_dir("sym");
	char path[1100], victim[1100], lnk[1200];
	struct stat st;
	static const char *const suffixes[] = {
	    ".tmp", ".tmp.XXXXXX", ".tmp.000000", ".new", "~", ".tmp.0"};

	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(path, sizeof(path), "%s/map", dir);
	t_write_file(victim, "precious\n");
	chmod(victim, 0600);

	/* temporary names someone might guess, all pointing at the victim */
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(lnk, sizeof(lnk), "%s%s", path, suffixes[i]);
		T_OK(symlink(victim, lnk) == 0);
	}
	T_EQ_INT(afile_write(path, "new map\n", 8, 0644), 0);
	T_OK(has_content(path, "new map\n"));
	T_OK(has_content(victim, "precious\n"));
	T_OK(stat(victim, &st) == 0 && (st.st_mode & 07777) == 0600);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(lnk, sizeof(lnk), "%s%s", path, suffixes[i]);
		T_OK(lstat(lnk, &st) == 0 && S_ISLNK(st.st_mode));
	}

	/* the target itself a symlink: replaced by a file, the file it
	 * pointed to keeps its content and mode */
	snprintf(lnk, sizeof(lnk), "%s/linked", dir);
	T_OK(symlink(victim, lnk) == 0);
	T_EQ_INT(afile_write(lnk, "replaced\n", 9, 0644), 0);
	T_OK(lstat(lnk, &st) == 0 && S_ISREG(st.st_mode));
	T_OK(has_content(lnk, "replaced\n"));
	T_OK(has_content(victim, "precious\n"));
	T_OK(stat(victim, &st) == 0 && (st.st_mode & 07777) == 0600);

	/* a dangling symlink as the target: no file appears at its end */
	char nowhere[1100];
	snprintf(nowhere, sizeof(nowhere), "%s/nowhere", dir);
	snprintf(lnk, sizeof(lnk), "%s/dangling", dir);
	T_OK(symlink(nowhere, lnk) == 0);
	T_EQ_INT(afile_write(lnk, "x\n", 2, 0644), 0);
	T_OK(access(nowhere, F_OK) != 0);
	T_OK(lstat(lnk, &st) == 0 && S_ISREG(st.st_mode));
}

/* test_relative - a name without a directory part */
static void
test_relative(void)
{
	const char *dir = fresh_dir("rel");
	char cwd[4096];

	T_OK(getcwd(cwd, sizeof(cwd)) != NULL);
	T_OK(chdir(dir) == 0);
	T_EQ_INT(afile_write("plain", "p\n", 2, 0644), 0);
	T_OK(has_content("plain", "p\n"));
	T_EQ_INT(afile_fsync_dir("plain"), 0);
	T_OK(chdir(cwd) == 0);
	T_EQ_STR(dir_entries(dir), "plain");
}

/* test_fsync_dir - the directory of an existing or missing path */
static void
test_fsync_dir(void)
{
	const char *dir = fresh_dir("fsync");
	char path[1100];

	snprintf(path, sizeof(path), "%s/whatever", dir);
	T_EQ_INT(afile_fsync_dir(path), 0);
	snprintf(path, sizeof(path), "%s/missing/whatever", dir);
	T_EQ_INT(afile_fsync_dir(path), -1);
}

int
main(void)
{
	test_write();
	test_replace();
	test_failures();
	test_symlinks();
	test_relative();
	test_fsync_dir();
	return t_done();
}
