/* sha256_blocks.h - the SHA-256 compression of whole 64-byte blocks, portable and with the x86 SHA
 * extensions (private to src/core; sha256.c picks one at first use, the unit tests compare them). */
#ifndef RB_SHA256_BLOCKS_H
#define RB_SHA256_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

typedef void (*rb_sha256_blocks_fn)(uint32_t state[8], const unsigned char *data, size_t n_blocks);

extern const uint32_t rb_sha256_k[64];

/* FIPS 180-4 section 6.2.2 in plain C: any CPU. */
void rb_sha256_blocks_portable(uint32_t state[8], const unsigned char *data, size_t n_blocks);

/* The same compression with the SHA-NI instructions (sha256rnds2, sha256msg1/2); NULL when this CPU
 * or compiler has none. Same output bits as the portable function (unit test sha256_shani_matches_portable). */
rb_sha256_blocks_fn rb_sha256_blocks_shani(void);

#endif
