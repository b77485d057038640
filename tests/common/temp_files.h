/* temp_files.h - test helper: count the temporaries an atomic write of a path may leave next to it
 * ("<path>.tmp.XXXXXX", rb_create_temp), so tests can assert none is left behind. */
#ifndef RB_TEMP_FILES_H
#define RB_TEMP_FILES_H

/* Number of entries in path's directory named "<basename of path>.tmp.<6 characters>"; -1 when the
 * directory cannot be read. */
int rb_count_temps(const char *path);

#endif
