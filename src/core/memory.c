/* memory.c - checked allocation (rb_core.h): malloc, calloc and strdup that record "out of memory
 * allocating <what>" through rb_fail, and an overflow-checked size product. These are the tracked
 * allocations RB_FAULT=alloc:... can make fail (fault.c). */
#include "rb_core.h"

#include <stdlib.h>
#include <string.h>

void *rb_malloc(size_t nbytes, const char *what) {
    void *p = rb_fault_active && rb_fault_alloc(what) ? NULL : malloc(nbytes ? nbytes : 1);
    if (!p) rb_fail("out of memory allocating %s (%zu bytes)", what, nbytes);
    return p;
}

void *rb_calloc(size_t count, size_t size, const char *what) {
    void *p = rb_fault_active && rb_fault_alloc(what) ? NULL : calloc(count ? count : 1, size ? size : 1);
    if (!p) rb_fail("out of memory allocating %s (%zu x %zu bytes)", what, count, size);
    return p;
}

char *rb_strdup(const char *s, const char *what) {
    size_t n = strlen(s) + 1;
    char *p = rb_malloc(n, what);
    if (p) memcpy(p, s, n);
    return p;
}

size_t rb_size_mul(size_t a, size_t b, int *ok) {
    if (a != 0 && b > SIZE_MAX / a) {
        *ok = 0;
        rb_fail("size overflow (%zu x %zu)", a, b);
        return 0;
    }
    return a * b;
}
