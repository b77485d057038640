/* test_names.c - the name and confined-path checks (names.c, docs/config.md "Names and paths"):
 * plain names pass; empty, too long, leading '.', '-' or '+', '/', "..", spaces, quotes, control
 * characters and non-ASCII bytes fail with one message that shows the value escaped; relative paths
 * pass while absolute paths, ".." components and control characters fail. */
#include "rb_core.h"
#include "rb_test.h"

#include <string.h>

RB_TEST(names_valid_names_pass) {
    static const char *const good[] = {"xdv-like", "ucf-like", "reference", "nightly-2026-11-29", "run_1+2", "a.b",
                                       "a..b", "_x", "0", "Z9"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        RB_EXPECT_MSG(rb_check_name("run.id", good[i]) == RB_OK, "\"%s\" refused: %s", good[i], rb_error_message());
    char longest[RB_NAME_MAX + 1];
    memset(longest, 'a', RB_NAME_MAX);
    longest[RB_NAME_MAX] = '\0';
    RB_EXPECT_OK(rb_check_name("run.id", longest));
}

RB_TEST(names_bad_names_fail_with_one_clear_message) {
    static const struct {
        const char *name, *reason;
    } bad[] = {
        {"", "empty"},
        {".", "starts with '.'"},
        {"..", "starts with '.'"},
        {"../x", "starts with '.'"},
        {".hidden", "starts with '.'"},
        {"-rf", "starts with '.', '-' or '+'"},
        {"a/b", "contains '/'"},
        {"/abs", "contains '/'"},
        {"night 1", "outside A-Z"},
        {"it's", "outside A-Z"},
        {"a\"b", "outside A-Z"},
        {"a;rm", "outside A-Z"},
        {"caf\xc3\xa9", "outside A-Z"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        RB_EXPECT_ERR(rb_check_name("data.datasets.[0].name", bad[i].name), bad[i].reason);
        RB_EXPECT_MSG(strstr(rb_error_message(), "data.datasets.[0].name") != NULL, "no key in: %s", rb_error_message());
    }
    char too_long[RB_NAME_MAX + 2];
    memset(too_long, 'a', RB_NAME_MAX + 1);
    too_long[RB_NAME_MAX + 1] = '\0';
    RB_EXPECT_ERR(rb_check_name("run.id", too_long), "longer than 63");
    /* a newline is shown escaped: the message stays one line */
    RB_EXPECT_ERR(rb_check_name("run.id", "a\nb"), "\"a\\nb\"");
    RB_EXPECT(strchr(rb_error_message(), '\n') == NULL);
    RB_EXPECT_ERR(rb_check_name("run.id", "a\x01"), "\\x01");
}

RB_TEST(names_relative_paths_stay_under_their_root) {
    static const char *const good[] = {"a", "a/b", "data/x.h5", "a..b/c", "x/..y", "./a"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        RB_EXPECT_MSG(rb_check_relative_path("file", good[i]) == RB_OK, "\"%s\" refused: %s", good[i], rb_error_message());
    RB_EXPECT_ERR(rb_check_relative_path("file", ""), "empty");
    RB_EXPECT_ERR(rb_check_relative_path("file", "/etc/passwd"), "absolute");
    RB_EXPECT_ERR(rb_check_relative_path("file", ".."), "'..'");
    RB_EXPECT_ERR(rb_check_relative_path("file", "../x"), "'..'");
    RB_EXPECT_ERR(rb_check_relative_path("file", "a/../../b"), "'..'");
    RB_EXPECT_ERR(rb_check_relative_path("file", "a/.."), "'..'");
    RB_EXPECT_ERR(rb_check_relative_path("file", "a\tb"), "control character");
    RB_EXPECT_ERR(rb_check_relative_path("file", "a\nb"), "\\n");
}
