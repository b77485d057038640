/* rb_sha256.h - SHA-256 (FIPS 180-4) of memory and files, for input checksums in provenance. */
#ifndef RB_SHA256_H
#define RB_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;
    unsigned char block[64];
    size_t used;
} rb_sha256;

void rb_sha256_init(rb_sha256 *h);
void rb_sha256_update(rb_sha256 *h, const void *data, size_t n);
void rb_sha256_hex(rb_sha256 *h, char hex[65]); /* finalises */
int rb_sha256_file(const char *path, char hex[65]);

#endif
