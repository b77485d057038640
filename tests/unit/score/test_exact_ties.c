/* test_exact_ties.c - tie-exact scoring (src/score/exact_ties.c): all-zero rows and rows repeating
 * the row before them get bit-identical scores, equal to scoring that row on its own; fresh rows get
 * the scores plain rb_detector_score gives them packed together; without such rows the call is
 * rb_detector_score itself, bit for bit. */
#include "rb_model.h"
#include "rb_core.h"
#include "rb_fixture.h"
#include "rb_test.h"
#include "score/exact_ties.h"

#include <stdlib.h>
#include <string.h>

static const rb_fixture_spec rb_ties_spec = {20, 8, 1, 24, 12, 16, 8, 1, 2, 11};

RB_TEST(exact_ties_zero_and_repeated_rows) {
    rb_dataset d = {0};
    rb_model m = {0};
    if (rb_fixture_dataset(&rb_ties_spec, &d) != RB_OK || rb_fixture_model(&rb_ties_spec, &d, &m) != RB_OK) {
        rb_test_fail(__FILE__, __LINE__, "fixture: %s", rb_error_message());
        return;
    }
    const rb_detector *det = rb_model_detector(&m, rb_model_slot(&m, RB_DET_AUDIO), 0);
    const int D = d.test.d_audio;
    enum { N = 40 };
    float *x = calloc((size_t)N * D, sizeof *x), *packed = calloc((size_t)N * D, sizeof *packed);
    float got[N], plain[N], fresh[N], lone[1];
    /* rows: fresh test rows, with zero rows at 3, 4, 17, 30 and repeats at 8 (of 7), 9 (of 8), 31 (of zero 30) */
    const int zero_rows[] = {3, 4, 17, 30}, repeat_rows[] = {8, 9, 31};
    int kind[N] = {0};
    for (int i = 0; i < 4; i++) kind[zero_rows[i]] = 1;
    for (int i = 0; i < 3; i++) kind[repeat_rows[i]] = 2;
    int n_fresh = 0;
    for (int i = 0; i < N; i++) {
        if (kind[i] == 0) memcpy(x + (size_t)i * D, d.test.audio + (size_t)(i % d.test.n_snippets) * D, sizeof(float) * D);
        if (kind[i] == 2) memcpy(x + (size_t)i * D, x + (size_t)(i - 1) * D, sizeof(float) * D);
        if (kind[i] == 0) memcpy(packed + (size_t)(n_fresh++) * D, x + (size_t)i * D, sizeof(float) * D);
    }
    rb_exact_ties t = {0};
    RB_EXPECT_OK(rb_exact_ties_score(&t, det, RB_INPUT_AUDIO, x, N, D, D, got));
    RB_EXPECT_OK(rb_detector_score(det, RB_INPUT_AUDIO, packed, n_fresh, D, fresh));
    float zeros[64] = {0};
    RB_EXPECT_OK(rb_detector_score(det, RB_INPUT_AUDIO, zeros, 1, D, lone));
    int f = 0;
    for (int i = 0; i < N; i++) {
        float want = kind[i] == 0 ? fresh[f++] : kind[i] == 1 ? lone[0] : got[i - 1];
        RB_EXPECT_MSG(memcmp(&got[i], &want, sizeof want) == 0, "row %d (kind %d): %.9g, expected %.9g", i, kind[i],
                      got[i], want);
    }
    RB_EXPECT_MSG(memcmp(&got[8], &got[7], sizeof got[0]) == 0 && memcmp(&got[9], &got[7], sizeof got[0]) == 0,
                  "a run of repeats shares the score of its first row");
    RB_EXPECT_MSG(memcmp(&got[31], &lone[0], sizeof got[0]) == 0, "a repeat of a zero row is a zero row's score");

    /* No zero or repeated row: exactly rb_detector_score on the rows as given (strided input too). */
    const int Dv = d.test.d_visual, ldv = d.test.n_crops * Dv;
    RB_EXPECT_OK(rb_exact_ties_score(&t, rb_model_detector(&m, rb_model_slot(&m, RB_DET_VISUAL), 0), RB_INPUT_VISUAL,
                                     d.test.visual, 30, Dv, ldv, got));
    RB_EXPECT_OK(rb_detector_score(rb_model_detector(&m, rb_model_slot(&m, RB_DET_VISUAL), 0), RB_INPUT_VISUAL,
                                   d.test.visual, 30, ldv, plain));
    RB_EXPECT_MSG(memcmp(got, plain, sizeof(float) * 30) == 0, "fresh rows only: bitwise rb_detector_score");
    rb_exact_ties_free(&t);
    free(x);
    free(packed);
    rb_model_free(&m);
    rb_dataset_free(&d);
}
