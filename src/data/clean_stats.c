/* clean_stats.c - the two modalities and the per-dimension statistics of a clean split (mean, std,
 * non-negativity): the scale of the corruption surrogates, recorded in model.h5 (rb_data.h). */
#include "rb_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *rb_modality_name(rb_modality m) {
    return m == RB_MOD_VISUAL ? "visual" : m == RB_MOD_AUDIO ? "audio" : "?";
}

int rb_modality_parse(const char *name, rb_modality *out) {
    if (name && strcmp(name, "visual") == 0) *out = RB_MOD_VISUAL;
    else if (name && strcmp(name, "audio") == 0) *out = RB_MOD_AUDIO;
    else return rb_fail("modality: expected \"visual\" or \"audio\", got \"%s\"", name ? name : "(null)");
    return RB_OK;
}

int rb_clean_stats_compute(const rb_split *s, rb_modality m, rb_clean_stats *out) {
    memset(out, 0, sizeof *out);
    if (m != RB_MOD_VISUAL && m != RB_MOD_AUDIO)
        return rb_fail("clean statistics: expected modality visual or audio, got %d", (int)m);
    const int32_t dim = m == RB_MOD_VISUAL ? s->d_visual : s->d_audio;
    const int64_t rows = m == RB_MOD_VISUAL ? s->n_snippets * s->n_crops : s->n_snippets;
    const float *x = m == RB_MOD_VISUAL ? s->visual : s->audio;
    if (dim < 1) return rb_fail("clean %s statistics: expected a width >= 1, got %d", rb_modality_name(m), dim);
    if (rows < 2 || !x)
        return rb_fail("clean %s statistics: expected at least 2 feature rows, got %lld",
                       rb_modality_name(m), (long long)rows);
    out->mean = rb_calloc((size_t)dim, sizeof *out->mean, "clean feature means");
    out->std = rb_calloc((size_t)dim, sizeof *out->std, "clean feature stds");
    double *sum = rb_calloc((size_t)dim * 2, sizeof *sum, "clean statistics accumulators");
    if (!out->mean || !out->std || !sum) {
        free(sum);
        rb_clean_stats_free(out);
        return rb_context("clean %s statistics", rb_modality_name(m));
    }
    double *sq = sum + dim;
    /* One pass in a fixed order; values shifted by the first row so the sum of squares does not
     * cancel catastrophically for dims whose mean is large against their spread. */
    const float *shift = x;
    int nonneg = 1;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * (size_t)dim;
        for (int32_t d = 0; d < dim; d++) {
            double v = (double)row[d] - (double)shift[d];
            sum[d] += v;
            sq[d] += v * v;
            nonneg &= row[d] >= 0.0f;
        }
    }
    const double n = (double)rows;
    for (int32_t d = 0; d < dim; d++) {
        double mu = sum[d] / n;
        double var = (sq[d] - sum[d] * mu) / (n - 1.0);
        out->mean[d] = (double)shift[d] + mu;
        out->std[d] = var > 0.0 ? sqrt(var) : 0.0;
    }
    free(sum);
    out->dim = dim;
    out->rows = rows;
    out->nonnegative = nonneg;
    return RB_OK;
}

void rb_clean_stats_free(rb_clean_stats *s) {
    free(s->mean);
    free(s->std);
    memset(s, 0, sizeof *s);
}

