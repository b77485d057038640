/* bench_synth.c - throughput of the synthetic generator (snippets per second at 1024-d, 1 and 5
 * crops, one thread of the caller), the memory an XD-scale dataset would need, and the calibration
 * proxy on the default setting (frame AP of linear top-k MIL probes: visual, audio, both). */
#include "rb_bench.h"
#include "rb_core.h"
#include "rb_data.h"
#include "synth_probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over a byte range: a cheap fingerprint to verify that two runs are identical. */
static uint64_t fnv1a(const void *p, size_t n, uint64_t h) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void bench_throughput(int crops) {
    const char *name = crops == 1 ? "synth_throughput_1crop" : "synth_throughput_5crop";
    rb_synth_params p;
    if (rb_synth_defaults(&p, "xdv") != RB_OK) { rb_bench_check(name, 0, rb_error_message()); return; }
    p.n_crops = crops;
    p.n_train = crops == 1 ? 200 : 60;
    p.n_train_anomalous = p.n_train / 2;
    p.n_test = 1;
    p.n_test_anomalous = 1;
    rb_synth g;
    if (rb_synth_open(&g, &p, 1) != RB_OK) { rb_bench_check(name, 0, rb_error_message()); return; }
    int64_t n = p.n_train, total = 0, maxT = 0;
    for (int64_t v = 0; v < n; v++) {
        rb_synth_video_info info;
        rb_synth_describe(&g, RB_SYNTH_TRAIN, v, &info);
        total += info.n_snippets;
        if (info.n_snippets > maxT) maxT = info.n_snippets;
    }
    size_t rowv = (size_t)crops * p.d_visual;
    float *vis = malloc(sizeof(float) * (size_t)maxT * rowv), *aud = malloc(sizeof(float) * (size_t)maxT * p.d_audio);
    uint64_t h[2] = {1469598103934665603ull, 1469598103934665603ull};
    double best = 1e30;
    int ok = vis && aud, negative = 0;
    for (int rep = 0; rep < 2 && ok; rep++) {
        double dt = 0; /* generation only, not the fingerprint */
        for (int64_t v = 0; v < n && ok; v++) {
            rb_synth_video_info info;
            rb_synth_describe(&g, RB_SYNTH_TRAIN, v, &info);
            double t0 = rb_now();
            ok &= rb_synth_video(&g, RB_SYNTH_TRAIN, v, vis, aud, NULL, NULL) == RB_OK;
            dt += rb_now() - t0;
            size_t nv = (size_t)info.n_snippets * rowv;
            h[rep] = fnv1a(vis, sizeof(float) * nv, h[rep]);
            h[rep] = fnv1a(aud, sizeof(float) * (size_t)info.n_snippets * p.d_audio, h[rep]);
            if (rep == 0)
                for (size_t i = 0; i < nv; i++) negative += vis[i] < 0;
        }
        if (dt < best) best = dt;
    }
    double gb = (double)total * 4.0 * ((double)rowv + p.d_audio) * 1e-9;
    rb_bench_report(name, "videos=%lld snippets=%lld d_visual=%d crops=%d seconds=%.3f snippets_per_s=%.0f GB_per_s=%.3f",
                    (long long)n, (long long)total, p.d_visual, crops, best, total / best, gb / best);
    rb_bench_check(name, ok && h[0] == h[1] && negative == 0,
                   "two passes byte-identical (FNV-1a), visual features nonnegative");
    free(vis);
    free(aud);
    rb_synth_close(&g);
}

RB_BENCH(synth_throughput_1crop) { bench_throughput(1); }
RB_BENCH(synth_throughput_5crop) { bench_throughput(5); }

RB_BENCH(synth_xd_scale_memory) {
    /* Full XD-Violence counts: how much memory would a whole in-memory dataset need? */
    rb_synth_params p;
    rb_synth_defaults(&p, "xdv");
    p.n_train = 3954;
    p.n_train_anomalous = 1905;
    p.n_test = 800;
    p.n_test_anomalous = 500;
    int ok = 1;
    for (int crops = 1; crops <= 5; crops += 4) {
        p.n_crops = crops;
        rb_synth g;
        if (rb_synth_open(&g, &p, 1) != RB_OK) { ok = 0; break; }
        int64_t n = 0;
        double bytes = rb_synth_bytes(&g, &n);
        rb_bench_report("synth_xd_scale_memory", "crops=%d d_visual=%d snippets=%lld mean_len=%.1f GB=%.2f", crops,
                        p.d_visual, (long long)n, (double)n / (p.n_train + p.n_test), bytes * 1e-9);
        ok &= bytes == 4.0 * n * ((double)crops * p.d_visual + p.d_audio);
        rb_synth_close(&g);
    }
    rb_bench_check("synth_xd_scale_memory", ok, "bytes = 4 * snippets * (crops * d_visual + d_audio)");
}

RB_BENCH(synth_proxy_default) {
    /* The default setting of both generators and the zero-shot transfer xdv -> ucf. */
    rb_synth_params p, q;
    rb_synth_defaults(&p, "xdv");
    rb_synth_defaults(&q, "ucf");
    q.n_train = 2;
    q.n_train_anomalous = 1;
    rb_dataset d, u;
    double t0 = rb_now();
    if (rb_synth_generate(&p, 1, &d) != RB_OK) { rb_bench_check("synth_proxy_default", 0, rb_error_message()); return; }
    double tgen = rb_now() - t0;
    if (rb_synth_generate(&q, 1, &u) != RB_OK) {
        rb_dataset_free(&d);
        rb_bench_check("synth_proxy_default", 0, rb_error_message());
        return;
    }
    rb_synth_probe_result r, z;
    rb_dataset zs = d;
    zs.test = u.test;
    int ok = rb_synth_probe(&d, 2, 1.0, 2, &r) == RB_OK && rb_synth_probe(&zs, 2, 1.0, 2, &z) == RB_OK;
    rb_bench_report("synth_proxy_default",
                    "generate_s=%.2f train_snippets=%lld test_snippets=%lld pos_frac=%.4f ap_constant=%.4f "
                    "ap_visual=%.4f ap_audio=%.4f ap_both=%.4f",
                    tgen, (long long)d.train.n_snippets, (long long)d.test.n_snippets, r.positive_fraction,
                    r.ap_constant, r.ap_visual, r.ap_audio, r.ap_concat);
    rb_bench_report("synth_proxy_zero_shot_ucf", "pos_frac=%.4f ap_constant=%.4f ap_visual=%.4f ap_audio=%.4f ap_both=%.4f",
                    z.positive_fraction, z.ap_constant, z.ap_visual, z.ap_audio, z.ap_concat);
    rb_bench_check("synth_proxy_default",
                   ok && r.ap_concat > r.ap_visual && r.ap_concat > r.ap_audio && r.ap_concat < 0.95 &&
                       z.ap_concat < r.ap_concat,
                   "both > each modality, not near-perfect, zero-shot ucf below in-domain");
    rb_dataset_free(&d);
    rb_dataset_free(&u);
}
