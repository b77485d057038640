/* test_log.c - log lines (rb_log, src/core/errors.c): "robusta: " + message + newline, written with
 * one call so that the lines of several ranks under mpirun cannot merge; a message longer than the
 * line buffer is cut with "..." instead of being split; rb_log_quiet silences it. stderr is pointed at
 * a temporary file for the test and restored. */
#include "rb_core.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What rb_log wrote while stderr went to a temporary file (malloc'd, NUL-terminated), or NULL. */
static char *rb_logged(const char *long_part, int quiet) {
    char path[4096];
    snprintf(path, sizeof path, "%s/log.XXXXXX", rb_test_tmpdir());
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    int was_quiet = rb_log_quiet;
    rb_log_quiet = quiet;
    if (long_part) rb_log("long %s end", long_part);
    else rb_log("hello %d %s", 42, "ranks");
    rb_log_quiet = was_quiet;
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *text = NULL;
    off_t size = lseek(fd, 0, SEEK_END);
    if (size >= 0 && (text = malloc((size_t)size + 1)) != NULL) {
        ssize_t got = pread(fd, text, (size_t)size, 0);
        text[got > 0 ? got : 0] = '\0';
    }
    close(fd);
    unlink(path);
    return text;
}

RB_TEST(log_line_prefix_message_newline) {
    char *t = rb_logged(NULL, 0);
    RB_EXPECT(t != NULL);
    if (t) RB_EXPECT_MSG(strcmp(t, "robusta: hello 42 ranks\n") == 0, "got \"%s\"", t);
    free(t);
    t = rb_logged(NULL, 1);
    RB_EXPECT(t != NULL && t[0] == '\0'); /* quiet */
    free(t);
}

RB_TEST(log_long_message_is_cut_not_split) {
    enum { N = 6000 };
    char *part = malloc(N + 1);
    RB_EXPECT(part != NULL);
    if (!part) return;
    memset(part, 'x', N);
    part[N] = '\0';
    char *t = rb_logged(part, 0);
    RB_EXPECT(t != NULL);
    if (t) {
        size_t len = strlen(t);
        RB_EXPECT_MSG(len == strlen("robusta: ") + 4095 + 1, "line of %zu bytes", len);
        RB_EXPECT(strncmp(t, "robusta: long xxx", 17) == 0);
        RB_EXPECT(len > 5 && strcmp(t + len - 5, "x...\n") == 0);
        RB_EXPECT(strchr(t, '\n') == t + len - 1); /* one line */
    }
    free(t);
    free(part);
}
