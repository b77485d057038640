/* train_digest_cache.c - the train-split digest cached in the dataset file (rb_data.h), so that
 * checking whether a model is up to date does not read the whole train split at every start
 * (docs/scaling.md, "Caching the train-split digest").
 *
 * When the writer finishes a dataset file (before it is renamed into place), the digest of
 * rb_dataset_train_digest is stored as root attributes together with a stamp:
 *     train_sha256            the digest (hex)
 *     train_sha256_mtime_ns   the modification time the file is then given (utimensat), in ns
 *     train_sha256_inode      the file's inode (a rename keeps it)
 * The cached digest is trusted only while the file's modification time and inode are still exactly
 * the stamped ones. Any later write to the file, by robusta or any other tool, sets the modification
 * time to the current time and so invalidates the cache; a copy gets a new inode. Then, and for files
 * without the attributes (older files, imported datasets), the digest is recomputed in full. What
 * it does not catch: someone who rewrites the train features and then deliberately sets the
 * modification time back to the stamp on the same inode. Building a model always recomputes the
 * digest in full (the model's recipe records it), so the cache only shortcuts the up-to-date check. */
#include "rb_data.h"
#include "rb_core.h"
#include "rb_io.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int64_t rb_mtime_ns(const struct stat *st) {
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + (int64_t)st->st_mtim.tv_nsec;
}

int rb_dataset_train_digest_stamp(const char *path) {
    char hex[65];
    RB_TRY_CTX(rb_dataset_train_digest(path, hex), "caching the train-split digest of %s", path);
    struct stat st;
    if (stat(path, &st) != 0) return rb_fail("caching the train-split digest: cannot stat %s", path);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const int64_t stamp = (int64_t)now.tv_sec * 1000000000 + (int64_t)now.tv_nsec;
    hid_t file;
    RB_TRY(rb_h5_open_rw(path, &file));
    int rc = rb_h5_attr_string(file, "train_sha256", hex);
    if (rc == RB_OK) rc = rb_h5_attr_int64(file, "train_sha256_mtime_ns", stamp);
    if (rc == RB_OK) rc = rb_h5_attr_int64(file, "train_sha256_inode", (int64_t)st.st_ino);
    if (rb_h5_close(file, path) != RB_OK) rc = RB_ERR;
    if (rc != RB_OK) return rb_context("caching the train-split digest of %s", path);
    const struct timespec times[2] = {now, now};
    if (utimensat(AT_FDCWD, path, times, 0) != 0)
        return rb_fail("caching the train-split digest: cannot set the modification time of %s", path);
    return RB_OK;
}

int rb_dataset_train_digest_cached(const char *path, char hex[65], int *cached) {
    *cached = 0;
    struct stat st;
    if (stat(path, &st) != 0) return rb_fail("dataset file %s: cannot stat it", path);
    hid_t file;
    RB_TRY(rb_h5_open_read(path, MPI_COMM_NULL, &file));
    char *digest = NULL;
    int64_t stamp = -1, inode = -1;
    int have = H5Aexists(file, "train_sha256") > 0 && H5Aexists(file, "train_sha256_mtime_ns") > 0 &&
               H5Aexists(file, "train_sha256_inode") > 0;
    int rc = RB_OK;
    if (have) {
        rc = rb_h5_get_attr_string(file, "train_sha256", &digest, path);
        if (rc == RB_OK) rc = rb_h5_get_attr_int64(file, "train_sha256_mtime_ns", &stamp, path);
        if (rc == RB_OK) rc = rb_h5_get_attr_int64(file, "train_sha256_inode", &inode, path);
    }
    H5Fclose(file);
    if (rc == RB_OK && have && digest && strlen(digest) == 64 && stamp == rb_mtime_ns(&st) && inode == (int64_t)st.st_ino) {
        memcpy(hex, digest, 65);
        *cached = 1;
        free(digest);
        return RB_OK;
    }
    free(digest);
    if (rc != RB_OK) return rc;
    return rb_dataset_train_digest(path, hex);
}
