/* dataset.c - allocation, release and validation of in-memory dataset splits (rb_data.h).
 * File I/O lives in dataset_file.c. */
#include "rb_data.h"
#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rb_split_alloc(rb_split *s, int64_t n_videos, int64_t n_snippets, int32_t n_crops,
                   int32_t d_visual, int32_t d_audio, int with_truth) {
    memset(s, 0, sizeof *s);
    if (n_videos < 0 || n_snippets < n_videos || n_crops < 1 || d_visual < 1 || d_audio < 1)
        return rb_fail("invalid split shape (videos %lld, snippets %lld, crops %d, widths %d/%d)",
                       (long long)n_videos, (long long)n_snippets, n_crops, d_visual, d_audio);
    s->n_videos = n_videos;
    s->n_snippets = n_snippets;
    s->n_crops = n_crops;
    s->d_visual = d_visual;
    s->d_audio = d_audio;
    int ok = 1;
    size_t nv = rb_size_mul(rb_size_mul((size_t)n_snippets, (size_t)n_crops, &ok), (size_t)d_visual, &ok);
    size_t na = rb_size_mul((size_t)n_snippets, (size_t)d_audio, &ok);
    if (!ok) return rb_context("allocating a split");
    s->offsets = rb_calloc((size_t)n_videos + 1, sizeof *s->offsets, "video offsets");
    s->names = rb_calloc((size_t)n_videos, sizeof *s->names, "video names");
    s->labels = rb_calloc((size_t)n_videos, sizeof *s->labels, "video labels");
    s->visual = rb_calloc(nv, sizeof *s->visual, "visual features");
    s->audio = rb_calloc(na, sizeof *s->audio, "audio features");
    if (!s->offsets || !s->names || !s->labels || !s->visual || !s->audio) goto fail;
    if (with_truth) {
        s->snippet_pos = rb_calloc((size_t)n_snippets, sizeof *s->snippet_pos, "snippet truth");
        s->snippet_frames = rb_calloc((size_t)n_snippets, sizeof *s->snippet_frames, "snippet frames");
        if (!s->snippet_pos || !s->snippet_frames) goto fail;
    }
    s->offsets[n_videos] = n_snippets;
    return RB_OK;
fail:
    rb_split_free(s);
    return RB_ERR;
}

void rb_split_free(rb_split *s) {
    if (s->names)
        for (int64_t v = 0; v < s->n_videos; v++) free(s->names[v]);
    free(s->names);
    free(s->offsets);
    free(s->labels);
    if (!s->features_borrowed) {
        free(s->visual);
        free(s->audio);
    }
    free(s->snippet_pos);
    free(s->snippet_frames);
    memset(s, 0, sizeof *s);
}

void rb_dataset_free(rb_dataset *d) {
    free(d->name);
    free(d->source);
    free(d->config_text);
    free(d->recipe);
    for (int i = 0; i < d->n_inputs; i++) {
        free(d->inputs[i]);
        free(d->input_sha256[i]);
    }
    free(d->inputs);
    free(d->input_sha256);
    rb_split_free(&d->train);
    rb_split_free(&d->test);
    memset(d, 0, sizeof *d);
}

static int rb_check_finite(const float *x, size_t n, size_t row_len, const char *what, const char *array) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return rb_fail("%s: %s has a non-finite value (%g) at row %zu, column %zu", what, array,
                           (double)x[i], i / row_len, i % row_len);
    return RB_OK;
}

static int rb_by_string(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rb_split_validate(const rb_split *s, int32_t frames_per_snippet, int need_truth, const char *what) {
    if (s->n_videos == 0) return RB_OK;
    if (s->offsets[0] != 0) return rb_fail("%s: offsets[0] is %lld, expected 0", what, (long long)s->offsets[0]);
    for (int64_t v = 0; v < s->n_videos; v++)
        if (s->offsets[v + 1] <= s->offsets[v] || s->offsets[v + 1] > s->n_snippets)
            return rb_fail("%s: offsets[%lld] = %lld out of range (previous %lld, %lld snippets); "
                           "every video needs at least one snippet",
                           what, (long long)v + 1, (long long)s->offsets[v + 1],
                           (long long)s->offsets[v], (long long)s->n_snippets);
    if (s->offsets[s->n_videos] != s->n_snippets)
        return rb_fail("%s: last offset %lld does not equal the snippet count %lld", what,
                       (long long)s->offsets[s->n_videos], (long long)s->n_snippets);
    for (int64_t v = 0; v < s->n_videos; v++) {
        if (!s->names[v] || !s->names[v][0]) return rb_fail("%s: video %lld has no name", what, (long long)v);
        if (s->labels[v] > 1)
            return rb_fail("%s: video %s has label %d, expected 0 or 1", what, s->names[v], s->labels[v]);
    }
    char **sorted = rb_malloc((size_t)s->n_videos * sizeof *sorted, "name check");
    if (!sorted) return rb_context("%s", what);
    memcpy(sorted, s->names, (size_t)s->n_videos * sizeof *sorted);
    qsort(sorted, (size_t)s->n_videos, sizeof *sorted, rb_by_string);
    for (int64_t v = 1; v < s->n_videos; v++)
        if (strcmp(sorted[v - 1], sorted[v]) == 0) {
            rb_fail("%s: video name %s appears twice", what, sorted[v]);
            free(sorted);
            return RB_ERR;
        }
    free(sorted);
    size_t nsn = (size_t)s->n_snippets;
    if (s->visual && s->audio) {
    RB_TRY(rb_check_finite(s->visual, nsn * (size_t)s->n_crops * (size_t)s->d_visual,
                           (size_t)s->n_crops * (size_t)s->d_visual, what, "visual features"));
    RB_TRY(rb_check_finite(s->audio, nsn * (size_t)s->d_audio, (size_t)s->d_audio, what, "audio features"));
    }
    if (need_truth) {
        if (!s->snippet_pos || !s->snippet_frames) return rb_fail("%s: frame-level truth is missing", what);
        for (size_t i = 0; i < nsn; i++)
            if (s->snippet_frames[i] < 1 || s->snippet_frames[i] > frames_per_snippet ||
                s->snippet_pos[i] < 0 || s->snippet_pos[i] > s->snippet_frames[i])
                return rb_fail("%s: snippet %zu has %d positive of %d frames, expected "
                               "0 <= positive <= frames <= %d and frames >= 1",
                               what, i, s->snippet_pos[i], s->snippet_frames[i], frames_per_snippet);
    }
    return RB_OK;
}
