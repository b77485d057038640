/* test_train_digest_cache.c - the train-split digest cached in the dataset file: used while the
 * file's stamp (modification time, inode) is intact, recomputed in full as soon as the file is
 * written to, touched or replaced, and always equal to the full digest when it is used. */
#include "rb_core.h"
#include "rb_data.h"
#include "rb_io.h"
#include "rb_fixture.h"
#include "rb_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

RB_TEST(train_digest_cache_used_only_while_the_stamp_holds) {
    const rb_fixture_spec spec = {6, 3, 1, 8, 4, 4, 2, 1, 2, 5};
    rb_dataset d;
    RB_EXPECT_OK(rb_fixture_dataset(&spec, &d));
    char path[600], copy[600];
    snprintf(path, sizeof path, "%s/digest.h5", rb_test_tmpdir());
    snprintf(copy, sizeof copy, "%s/digest-copy.h5", rb_test_tmpdir());
    RB_EXPECT_OK(rb_dataset_write(path, &d));
    char full[65], got[65];
    int cached = -1;
    RB_EXPECT_OK(rb_dataset_train_digest(path, full));
    /* freshly written: the cache is used and equals the full digest */
    RB_EXPECT_OK(rb_dataset_train_digest_cached(path, got, &cached));
    RB_EXPECT_INT(cached, 1);
    RB_EXPECT(strcmp(got, full) == 0);
    /* a write that leaves the train split alone: stamp broken, recomputed, same digest */
    hid_t f;
    RB_EXPECT_OK(rb_h5_open_rw(path, &f));
    RB_EXPECT_OK(rb_h5_attr_string(f, "note", "added later"));
    RB_EXPECT_OK(rb_h5_close(f, path));
    RB_EXPECT_OK(rb_dataset_train_digest_cached(path, got, &cached));
    RB_EXPECT_INT(cached, 0);
    RB_EXPECT(strcmp(got, full) == 0);
    /* a different train split written in place of the file (new inode, new time): a new digest */
    d.train.visual[0] += 1.0f;
    RB_EXPECT_OK(rb_dataset_write(copy, &d));
    RB_EXPECT_OK(rb_dataset_train_digest(copy, full));
    RB_EXPECT(rename(copy, path) == 0);
    RB_EXPECT_OK(rb_dataset_train_digest_cached(path, got, &cached));
    RB_EXPECT_INT(cached, 1); /* its own stamp survived the rename */
    RB_EXPECT(strcmp(got, full) == 0);
    /* only the modification time changed (as after an edit): recomputed */
    struct timespec t[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
    RB_EXPECT(utimensat(AT_FDCWD, path, t, 0) == 0);
    RB_EXPECT_OK(rb_dataset_train_digest_cached(path, got, &cached));
    RB_EXPECT_INT(cached, 0);
    RB_EXPECT(strcmp(got, full) == 0);
    rb_dataset_free(&d);
}
