/* bench_sha256.c - checksum rate of the input files' SHA-256 (run identity, model recipes): the
 * portable compression and the SHA-NI one (where the CPU has it) over the same 256 MiB in memory,
 * in MB/s of thread CPU time (best of 3), and the streaming API (what rb_sha256_file runs). Verifies
 * that both compressions give the same state. */
#include "rb_bench.h"
#include "rb_core.h"
#include "core/sha256_blocks.h"

#include <stdlib.h>
#include <string.h>

static double rate(rb_sha256_blocks_fn f, const unsigned char *buf, size_t blocks, uint32_t state[8]) {
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        memcpy(state, iv, sizeof iv);
        double t0 = rb_bench_cpu_seconds();
        f(state, buf, blocks);
        double t = rb_bench_cpu_seconds() - t0;
        if (t < best) best = t;
    }
    return (double)blocks * 64.0 / best / 1e6;
}

RB_BENCH(sha256) {
    const size_t blocks = (size_t)1 << 22; /* 256 MiB */
    unsigned char *buf = malloc(blocks * 64);
    if (!buf) {
        rb_bench_check("sha256", 0, "256 MiB buffer");
        return;
    }
    for (size_t i = 0; i < blocks * 64; i++) buf[i] = (unsigned char)(i * 2654435761u >> 13);
    uint32_t a[8], b[8];
    const double portable = rate(rb_sha256_blocks_portable, buf, blocks, a);
    rb_sha256_blocks_fn shani = rb_sha256_blocks_shani();
    const double fast = shani ? rate(shani, buf, blocks, b) : 0.0;
    rb_sha256 h;
    rb_sha256_init(&h);
    double t0 = rb_bench_cpu_seconds();
    rb_sha256_update(&h, buf, blocks * 64);
    const double streaming = (double)blocks * 64.0 / (rb_bench_cpu_seconds() - t0) / 1e6;
    rb_bench_report("sha256", "portable_MB_s=%.0f shani_MB_s=%.0f%s streaming_MB_s=%.0f speedup=%.2f", portable,
                    fast, shani ? "" : " (no SHA extensions on this CPU)", streaming, shani ? fast / portable : 1.0);
    rb_bench_check("sha256", !shani || memcmp(a, b, sizeof a) == 0, "SHA-NI and portable states agree");
    free(buf);
}
