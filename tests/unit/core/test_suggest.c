/* test_suggest.c - "did you mean?": edit distances by hand, the typo threshold, and the nearest
 * config key with the user's list indices put back. */
#include "rb_core.h"
#include "rb_test.h"

#include <string.h>

RB_TEST(suggest_edit_distance) {
    RB_EXPECT_INT(rb_edit_distance("", ""), 0);
    RB_EXPECT_INT(rb_edit_distance("abc", ""), 3);
    RB_EXPECT_INT(rb_edit_distance("kitten", "sitting"), 3); /* k->s, e->i, +g */
    RB_EXPECT_INT(rb_edit_distance("train.epoch", "train.epochs"), 1);
    RB_EXPECT_INT(rb_edit_distance("flaw", "lawn"), 2);
    RB_EXPECT_INT(rb_edit_distance("abc", "abc"), 0);
}

RB_TEST(suggest_nearest_name_and_threshold) {
    const char *names[] = {"out", "resume", "save-scores", "datasets", "config"};
    RB_EXPECT(strcmp(rb_nearest_name("ouut", names, 5), "out") == 0);
    RB_EXPECT(strcmp(rb_nearest_name("resmue", names, 5), "resume") == 0);
    RB_EXPECT(rb_nearest_name("zzzzzz", names, 5) == NULL);     /* too far */
    RB_EXPECT(rb_nearest_name("ab", names, 5) == NULL);         /* short words: 1 edit at most */
    RB_EXPECT(rb_nearest_name("out", names, 5) == NULL);        /* an exact name is no typo */
    RB_EXPECT(strcmp(rb_nearest_name("savescores", names, 5), "save-scores") == 0);
}

RB_TEST(suggest_config_key) {
    char buf[256];
    rb_config_suggest("train.epoch", buf, sizeof buf);
    RB_EXPECT_MSG(strcmp(buf, "train.epochs") == 0, "got '%s'", buf);
    rb_config_suggest("data.datasets.[12].n_tset", buf, sizeof buf);
    RB_EXPECT_MSG(strcmp(buf, "data.datasets.[12].n_test") == 0, "got '%s'", buf);
    rb_config_suggest("completely.unrelated.thing", buf, sizeof buf);
    RB_EXPECT_MSG(buf[0] == '\0', "got '%s'", buf);
}
