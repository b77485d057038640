/* temp_files.c - counting leftover atomic-write temporaries next to a path (temp_files.h). */
#define _POSIX_C_SOURCE 200809L
#include "temp_files.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

int rb_count_temps(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    if (!dir[0]) snprintf(dir, sizeof dir, "/");
    DIR *d = opendir(dir);
    if (!d) return -1;
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s.tmp.", base);
    size_t plen = strlen(prefix);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, prefix, plen) == 0 && strlen(e->d_name) == plen + 6) n++;
    closedir(d);
    return n;
}
