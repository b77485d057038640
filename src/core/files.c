/* files.c - the file helpers every stage shares (rb_core.h): read a whole file, create a directory
 * with its parents (mkdir -p, without a shell), and replace a file atomically (a temporary in the
 * same directory, synced, then renamed over the final name, so a reader or a crash sees the old
 * content or the new, never a part). Errors name the path and the system's reason. */
#define _POSIX_C_SOURCE 200809L
#include "rb_core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rb_open_regular(const char *path, int *fd) {
    /* O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting for one */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    *fd = -1;
    if (f < 0) return rb_fail("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(f, &st) != 0) {
        int err = errno;
        close(f);
        return rb_fail("%s: %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return rb_fail("%s: not a regular file (%s): robusta reads configs and manifests only from regular files",
                       path, S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" :
                             S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a socket or other special file");
    }
    int flags = fcntl(f, F_GETFL);
    if (flags >= 0) fcntl(f, F_SETFL, flags & ~O_NONBLOCK);
    *fd = f;
    return RB_OK;
}

int rb_read_file(const char *path, char **text) {
    *text = NULL;
    int fd;
    RB_TRY(rb_open_regular(path, &fd));
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int err = errno;
        close(fd);
        return rb_fail("%s: %s", path, strerror(err));
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *g = realloc(buf, cap);
            if (!g) {
                free(buf);
                fclose(f);
                return rb_fail("%s: out of memory reading it", path);
            }
            buf = g;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return rb_fail("%s: read error", path);
    }
    if (!buf && !(buf = malloc(1))) return rb_fail("%s: out of memory reading it", path);
    buf[len] = '\0';
    *text = buf;
    return RB_OK;
}

/* mkdir of one directory; one that already exists is fine, anything else of that name is not. */
static int rb_mkdir_one(const char *dir) {
    if (mkdir(dir, 0777) == 0) return RB_OK;
    int err = errno;
    struct stat st;
    if (err == EEXIST && stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return RB_OK;
        return rb_fail("cannot create directory %s: it exists and is not a directory", dir);
    }
    return rb_fail("cannot create directory %s: %s", dir, strerror(err));
}

int rb_mkdir_real(const char *dir) {
    if (mkdir(dir, 0777) == 0) return RB_OK;
    int err = errno;
    struct stat st;
    if (err == EEXIST && lstat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return RB_OK;
        if (S_ISLNK(st.st_mode))
            return rb_fail("%s is a symbolic link, not a directory: robusta writes only into real directories "
                           "(remove the link)", dir);
        return rb_fail("cannot create directory %s: it exists and is not a directory", dir);
    }
    return rb_fail("cannot create directory %s: %s", dir, strerror(err));
}

int rb_mkdir_p(const char *dir) {
    char *buf = rb_strdup(dir, "directory name");
    if (!buf) return RB_ERR;
    int rc = RB_OK;
    /* every parent in turn ("a", "a/b", ...), then dir itself; a leading "/" is no parent */
    for (char *p = buf + 1; rc == RB_OK && *p; p++) {
        if (*p != '/' || p[-1] == '/') continue;
        *p = '\0';
        rc = rb_mkdir_one(buf);
        *p = '/';
    }
    if (rc == RB_OK) rc = rb_mkdir_one(buf);
    free(buf);
    return rc;
}

static int rb_write_all(int fd, const unsigned char *data, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return RB_ERR;
        done += (size_t)w;
    }
    return RB_OK;
}

int rb_create_temp(const char *path, char *tmp, size_t cap, int *fd) {
    *fd = -1;
    if (cap > 0) tmp[0] = '\0';
    int n = snprintf(tmp, cap, "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0) tmp[0] = '\0';
        return rb_fail("%s: path too long for a temporary file name", path);
    }
    /* mkstemp: a fresh random name, opened O_RDWR|O_CREAT|O_EXCL (so never an existing file and never
     * through a symbolic link), mode 0600; then the usual 0666 less the umask */
    int f = mkstemp(tmp);
    if (f < 0) {
        int err = errno;
        snprintf(tmp, cap, "%s.tmp.XXXXXX", path);
        int rc = rb_fail("cannot create %s: %s", tmp, strerror(err));
        tmp[0] = '\0';
        return rc;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(f, 0666 & ~mask) != 0) {
        int err = errno;
        close(f);
        unlink(tmp);
        int rc = rb_fail("cannot set the mode of %s: %s", tmp, strerror(err));
        tmp[0] = '\0';
        return rc;
    }
    *fd = f;
    return RB_OK;
}

/* The temporary is a fresh "<path>.tmp.XXXXXX" (rb_create_temp), so a planted link, a stale
 * temporary or a concurrent writer of the same path is never opened, followed or clobbered. */
int rb_write_bytes_atomic(const char *path, const void *data, size_t n) {
    size_t cap = strlen(path) + 16;
    char *tmp = rb_malloc(cap, "temporary file name");
    if (!tmp) return RB_ERR;
    int fd;
    if (rb_create_temp(path, tmp, cap, &fd) != RB_OK) {
        free(tmp);
        return RB_ERR;
    }
    const char *step = NULL; /* the step that failed, and its errno */
    int err = 0;
    if ((rb_fault_active && rb_fault_write(tmp) && (errno = ENOSPC)) || rb_write_all(fd, data, n) != RB_OK)
        step = "writing", err = errno; /* (an injected fault reads as a full disk, fault.c) */
    else if (fsync(fd) != 0) step = "syncing", err = errno;
    if (close(fd) != 0 && !step) step = "closing", err = errno;
    if (!step && rename(tmp, path) != 0) step = "renaming", err = errno;
    int rc = RB_OK;
    if (step) {
        unlink(tmp);
        rc = rb_fail("cannot write %s (%s %s: %s)", path, step, tmp, strerror(err));
    }
    free(tmp);
    return rc;
}

int rb_write_file_atomic(const char *path, const char *text) { return rb_write_bytes_atomic(path, text, strlen(text)); }
