/* test_fault.c - fault injection (fault.c, RB_FAULT): the syntax KIND:N[@RANK][:MATCH] is parsed or
 * rejected with a message naming the problem; exactly the Nth matching operation on the chosen rank
 * fails (counting only labels that contain MATCH); rb_malloc and rb_write_file_atomic honour it and
 * leave no temporary; without RB_FAULT nothing is active. Each test restores an inactive state. */
#include "rb_core.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parse spec as rank `rank`; returns rb_fault_init's status. */
static int fault_with(const char *spec, int rank) {
    setenv("RB_FAULT", spec, 1);
    int rc = rb_fault_init(rank);
    unsetenv("RB_FAULT");
    return rc;
}

static void fault_off(void) {
    unsetenv("RB_FAULT");
    RB_EXPECT_OK(rb_fault_init(0));
    RB_EXPECT_INT(rb_fault_active, 0);
}

RB_TEST(fault_syntax_errors_name_the_problem) {
    RB_EXPECT_ERR(fault_with("disk:1", 0), "unknown kind 'disk'");
    RB_EXPECT_ERR(fault_with("write", 0), "should be KIND:N");
    RB_EXPECT_ERR(fault_with("write:0", 0), "needs a count N >= 1");
    RB_EXPECT_ERR(fault_with("alloc:x", 0), "needs a count N >= 1");
    RB_EXPECT_ERR(fault_with("write:2@", 0), "bad rank after '@'");
    RB_EXPECT_ERR(fault_with("write:2#1", 0), "unexpected '#1'");
    fault_off();
}

RB_TEST(fault_nth_matching_write_on_the_chosen_rank) {
    RB_EXPECT_OK(fault_with("write:3@1:results.h5", 1));
    RB_EXPECT_INT(rb_fault_active, 1);
    int hits[6];
    const char *labels[6] = {"a/results.h5.tmp/x", "journal", "a/results.h5.tmp/y", "a/results.h5.tmp/z",
                             "a/results.h5.tmp/w", "a/results.h5.tmp/v"};
    for (int i = 0; i < 6; i++) hits[i] = rb_fault_write(labels[i]);
    /* the third label containing "results.h5" is the fourth call; the journal write is not counted */
    int want[6] = {0, 0, 0, 1, 0, 0};
    for (int i = 0; i < 6; i++) RB_EXPECT_MSG(hits[i] == want[i], "write %d (%s): hit %d, expected %d", i, labels[i], hits[i], want[i]);
    RB_EXPECT_INT(rb_fault_alloc("results.h5"), 0); /* another kind */
    /* the same spec on another rank never fires */
    RB_EXPECT_OK(fault_with("write:1@1", 0));
    for (int i = 0; i < 4; i++) RB_EXPECT_INT(rb_fault_write("x"), 0);
    fault_off();
}

RB_TEST(fault_alloc_makes_rb_malloc_fail_once) {
    RB_EXPECT_OK(fault_with("alloc:2:probe buffer,write:1:never-matches", 0));
    void *a = rb_malloc(16, "probe buffer");
    void *b = rb_malloc(16, "probe buffer");
    void *c = rb_calloc(2, 8, "probe buffer");
    RB_EXPECT(a != NULL);
    RB_EXPECT(b == NULL);
    RB_EXPECT(c != NULL);
    RB_EXPECT_MSG(strstr(rb_error_message(), "out of memory allocating probe buffer") != NULL, "message: %s", rb_error_message());
    free(a);
    free(c);
    fault_off();
}

RB_TEST(fault_write_fails_an_atomic_file_and_leaves_no_temporary) {
    char path[600], tmp[700];
    snprintf(path, sizeof path, "%s/fault-atomic.txt", rb_test_tmpdir());
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    RB_EXPECT_OK(rb_write_file_atomic(path, "old"));
    RB_EXPECT_OK(fault_with("write:1:fault-atomic.txt", 0));
    RB_EXPECT_ERR(rb_write_file_atomic(path, "new"), "No space left on device");
    fault_off();
    char *text = NULL;
    RB_EXPECT_OK(rb_read_file(path, &text));
    RB_EXPECT_MSG(text && strcmp(text, "old") == 0, "the file holds \"%s\", expected the old content", text ? text : "(null)");
    free(text);
    RB_EXPECT(access(tmp, F_OK) != 0);
}
