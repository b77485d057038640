/* test_files.c - the core file helpers (files.c): rb_mkdir_p creates nested directories, accepts
 * existing ones and names a file in the way; rb_write_file_atomic replaces content, leaves no
 * temporary behind (also on failure), and never writes through a symbolic link planted at a
 * temporary's name (<path>.tmp, <path>.tmp.XXXXXX) or at the final name; rb_create_temp makes
 * distinct exclusive files; rb_read_file names a missing file. */
#include "rb_core.h"
#include "rb_test.h"
#include "temp_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* <unit tmpdir>/files-<name>, created fresh for one test. */
static void files_dir(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/files-%s", rb_test_tmpdir(), name);
    RB_EXPECT_OK(rb_mkdir_p(buf));
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The file's content equals text. */
static void expect_content(const char *path, const char *text) {
    char *got = NULL;
    RB_EXPECT_OK(rb_read_file(path, &got));
    RB_EXPECT_MSG(got && strcmp(got, text) == 0, "%s holds \"%s\", expected \"%s\"", path, got ? got : "(null)", text);
    free(got);
}

RB_TEST(files_mkdir_p_nested_and_existing) {
    char base[600], deep[700], slash[700];
    files_dir("mkdir", base, sizeof base);
    snprintf(deep, sizeof deep, "%s/a/b//c", base);
    RB_EXPECT_OK(rb_mkdir_p(deep));
    RB_EXPECT(is_dir(deep));
    RB_EXPECT_OK(rb_mkdir_p(deep)); /* every part exists: fine */
    snprintf(slash, sizeof slash, "%s/a/d/", base);
    RB_EXPECT_OK(rb_mkdir_p(slash));
    RB_EXPECT(is_dir(slash));
}

RB_TEST(files_mkdir_p_file_in_the_way) {
    char base[600], file[700], below[800];
    files_dir("mkdir-file", base, sizeof base);
    snprintf(file, sizeof file, "%s/plain", base);
    RB_EXPECT_OK(rb_write_file_atomic(file, "x"));
    RB_EXPECT_ERR(rb_mkdir_p(file), file);
    RB_EXPECT_ERR(rb_mkdir_p(file), "not a directory");
    snprintf(below, sizeof below, "%s/sub/dir", file);
    RB_EXPECT_ERR(rb_mkdir_p(below), file);
}

RB_TEST(files_write_atomic_replaces_content) {
    char base[600], path[700], tmp[800];
    files_dir("write", base, sizeof base);
    snprintf(path, sizeof path, "%s/manifest.txt", base);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    RB_EXPECT_OK(rb_write_file_atomic(path, "first version\n"));
    expect_content(path, "first version\n");
    RB_EXPECT_OK(rb_write_file_atomic(path, "second\n"));
    expect_content(path, "second\n");
    RB_EXPECT_INT(rb_count_temps(path), 0);
    RB_EXPECT_OK(rb_write_file_atomic(tmp, "left by an old writer")); /* an old fixed-name temporary: ignored */
    RB_EXPECT_OK(rb_write_file_atomic(path, ""));
    expect_content(path, "");
    expect_content(tmp, "left by an old writer");
    RB_EXPECT_INT(rb_count_temps(path), 0);
    const float bytes[3] = {1.0f, 0.0f, -2.5f}; /* binary data with zero bytes */
    RB_EXPECT_OK(rb_write_bytes_atomic(path, bytes, sizeof bytes));
    struct stat st;
    RB_EXPECT(stat(path, &st) == 0 && st.st_size == (off_t)sizeof bytes);
}

RB_TEST(files_create_temp_is_exclusive_and_fresh) {
    char base[600], path[700], t1[800], t2[800];
    files_dir("temp", base, sizeof base);
    snprintf(path, sizeof path, "%s/results.h5", base);
    int fd1 = -1, fd2 = -1;
    RB_EXPECT_OK(rb_create_temp(path, t1, sizeof t1, &fd1));
    RB_EXPECT_OK(rb_create_temp(path, t2, sizeof t2, &fd2));
    RB_EXPECT(fd1 >= 0 && fd2 >= 0);
    RB_EXPECT_MSG(strcmp(t1, t2) != 0, "two temporaries share the name %s", t1);
    RB_EXPECT_MSG(strncmp(t1, path, strlen(path)) == 0 && strncmp(t1 + strlen(path), ".tmp.", 5) == 0 &&
                      strlen(t1) == strlen(path) + 11, "temporary name %s", t1);
    struct stat st;
    RB_EXPECT(lstat(t1, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    RB_EXPECT_INT(rb_count_temps(path), 2);
    if (fd1 >= 0) close(fd1);
    if (fd2 >= 0) close(fd2);
    unlink(t1);
    unlink(t2);
    char small[8];
    RB_EXPECT_ERR(rb_create_temp(path, small, sizeof small, &fd1), "too long");
    RB_EXPECT(fd1 == -1 && small[0] == '\0');
}

RB_TEST(files_write_atomic_never_follows_a_planted_link) {
    char base[600], path[700], tmp[800], victim[700], victim2[700];
    files_dir("symlink", base, sizeof base);
    snprintf(path, sizeof path, "%s/summary.md", base);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(victim, sizeof victim, "%s/victim", base);
    snprintf(victim2, sizeof victim2, "%s/victim2", base);
    RB_EXPECT_OK(rb_write_file_atomic(victim, "precious"));
    RB_EXPECT(symlink(victim, tmp) == 0); /* at the old fixed temporary name */
    RB_EXPECT_OK(rb_write_file_atomic(path, "new content"));
    expect_content(path, "new content");
    expect_content(victim, "precious");
    struct stat st;
    RB_EXPECT(lstat(tmp, &st) == 0 && S_ISLNK(st.st_mode)); /* never touched */

    RB_EXPECT_OK(rb_write_file_atomic(victim2, "also precious"));
    RB_EXPECT(unlink(path) == 0 && symlink(victim2, path) == 0); /* at the final name */
    RB_EXPECT_OK(rb_write_file_atomic(path, "replaced"));
    RB_EXPECT(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
    expect_content(path, "replaced");
    expect_content(victim2, "also precious");
}

RB_TEST(files_write_atomic_failure_leaves_no_temporary) {
    char base[600], path[700], inside[800], missing[700];
    files_dir("fail", base, sizeof base);
    snprintf(path, sizeof path, "%s/taken", base); /* a non-empty directory: rename over it fails */
    snprintf(inside, sizeof inside, "%s/x", path);
    RB_EXPECT_OK(rb_mkdir_p(inside));
    RB_EXPECT_ERR(rb_write_file_atomic(path, "text"), path);
    RB_EXPECT_INT(rb_count_temps(path), 0);
    RB_EXPECT(is_dir(inside));
    snprintf(missing, sizeof missing, "%s/no/such/dir/file.txt", base);
    RB_EXPECT_ERR(rb_write_file_atomic(missing, "text"), "no/such/dir/file.txt.tmp");
}

RB_TEST(files_read_names_a_missing_file) {
    char base[600], path[700];
    files_dir("read", base, sizeof base);
    snprintf(path, sizeof path, "%s/absent.cfg", base);
    char *text = (char *)1;
    RB_EXPECT_ERR(rb_read_file(path, &text), path);
    RB_EXPECT(text == NULL);
}
