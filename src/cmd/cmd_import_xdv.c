/* cmd_import_xdv.c - `robusta import-xdv`: command-line front end of rb_import_xdv (options, the
 * dataset file, the one-line summary). Usage and semantics: docs/import-xdv.md. Every error is
 * reported with rb_die(): one line "robusta: error: ...", exit status 1. */
#include "rb_cmd.h"
#include "rb_core.h"
#include "rb_data.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rb_import_xdv_usage(FILE *f) {
    fputs("usage: robusta import-xdv --lists DIR --visual-dir DIR --audio-dir DIR --annotations FILE\n"
          "                          --out FILE [options]\n"
          "\n"
          "Convert the public XD-Violence feature release (I3D RGB crops + VGGish audio .npy files) into a\n"
          "robusta dataset file. List entries are matched by file name inside the given directories; the\n"
          "directory part of each list line is ignored.\n"
          "\n"
          "  --lists DIR            directory holding rgb.list, audio.list, rgb_test.list, audio_test.list\n"
          "  --rgb-list FILE        training visual list (overrides DIR/rgb.list); likewise\n"
          "  --audio-list FILE      --rgb-test-list FILE, --audio-test-list FILE\n"
          "  --visual-dir DIR       I3D files of the training split (e.g. i3d-features/RGB)\n"
          "  --visual-test-dir DIR  I3D files of the test split (default: --visual-dir)\n"
          "  --audio-dir DIR        VGGish files of the training split (e.g. vggish-features/train)\n"
          "  --audio-test-dir DIR   VGGish files of the test split (default: --audio-dir)\n"
          "  --annotations FILE     test annotations (annotations.txt: video start end [start end ...])\n"
          "  --out FILE             dataset file to write (HDF5)\n"
          "  --crops N              1 (centre crop only) or 5 (default 5)\n"
          "  --name NAME            dataset name recorded in the file (default xdv)\n"
          "  --force                overwrite an existing --out file\n"
          "  -h, --help             this text\n",
          f);
}

typedef struct {
    const char *flag;
    const char **value;
} rb_flag;

int rb_cmd_import_xdv(int argc, char **argv) {
    const char *lists = NULL, *rgb = NULL, *audio = NULL, *rgb_test = NULL, *audio_test = NULL;
    const char *vdir = NULL, *vtdir = NULL, *adir = NULL, *atdir = NULL, *ann = NULL, *out = NULL;
    const char *crops = "5", *name = "xdv";
    int force = 0;
    rb_flag flags[] = {{"--lists", &lists},         {"--rgb-list", &rgb},           {"--audio-list", &audio},
                       {"--rgb-test-list", &rgb_test}, {"--audio-test-list", &audio_test},
                       {"--visual-dir", &vdir},     {"--visual-test-dir", &vtdir},  {"--audio-dir", &adir},
                       {"--audio-test-dir", &atdir}, {"--annotations", &ann},       {"--out", &out},
                       {"--crops", &crops},         {"--name", &name}};
    rb_error_clear();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            rb_import_xdv_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--force") == 0) {
            force = 1;
            continue;
        }
        size_t k, nflags = sizeof flags / sizeof flags[0];
        for (k = 0; k < nflags; k++) {
            size_t n = strlen(flags[k].flag);
            if (strncmp(a, flags[k].flag, n) != 0 || (a[n] != '\0' && a[n] != '=')) continue;
            if (a[n] == '=') {
                *flags[k].value = a + n + 1;
            } else if (i + 1 < argc) {
                *flags[k].value = argv[++i];
            } else {
                rb_fail("import-xdv: option %s needs a value", a);
                rb_die();
            }
            break;
        }
        if (k == nflags) {
            rb_fail("import-xdv: unknown argument '%s' (see robusta import-xdv --help)", a);
            rb_die();
        }
    }
    int size = 1, initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) {
        rb_fail("import-xdv is a serial command; run it without mpirun/srun (got %d ranks)", size);
        rb_die();
    }

    /* list files: --lists DIR gives the standard names, single flags override them */
    char paths[4][4096];
    const char **list_flag[4] = {&rgb, &audio, &rgb_test, &audio_test};
    static const char *const list_name[4] = {"rgb.list", "audio.list", "rgb_test.list", "audio_test.list"};
    static const char *const list_opt[4] = {"--rgb-list", "--audio-list", "--rgb-test-list", "--audio-test-list"};
    for (int l = 0; l < 4; l++) {
        if (*list_flag[l]) continue;
        if (!lists) {
            rb_fail("import-xdv: give --lists DIR or %s FILE (see --help)", list_opt[l]);
            rb_die();
        }
        int n = snprintf(paths[l], sizeof paths[l], "%s/%s", lists, list_name[l]);
        if (n < 0 || (size_t)n >= sizeof paths[l]) {
            rb_fail("import-xdv: path %s/%s is too long", lists, list_name[l]);
            rb_die();
        }
        *list_flag[l] = paths[l];
    }
    const char *required[][2] = {{"--visual-dir", vdir}, {"--audio-dir", adir}, {"--annotations", ann}, {"--out", out}};
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++)
        if (!required[r][1] || !*required[r][1]) {
            rb_fail("import-xdv: %s is required (see --help)", required[r][0]);
            rb_die();
        }
    if (strcmp(crops, "1") != 0 && strcmp(crops, "5") != 0) {
        rb_fail("import-xdv: --crops must be 1 or 5, got '%s'", crops);
        rb_die();
    }
    if (!*name) {
        rb_fail("import-xdv: --name must not be empty");
        rb_die();
    }
    if (!force && access(out, F_OK) == 0) {
        rb_fail("import-xdv: %s exists; remove it or pass --force", out);
        rb_die();
    }

    rb_xdv_options opt = {
        .visual_list = rgb, .audio_list = audio, .visual_test_list = rgb_test, .audio_test_list = audio_test,
        .visual_dir = vdir, .audio_dir = adir, .visual_test_dir = vtdir, .audio_test_dir = atdir,
        .annotations = ann, .n_crops = atoi(crops)};
    rb_dataset d;
    rb_xdv_stats st;
    if (rb_import_xdv(&opt, name, &d, &st) != RB_OK) rb_die();
    int rc = rb_dataset_write(out, &d);
    rb_dataset_free(&d);
    if (rc != RB_OK) rb_die();
    printf("import-xdv: wrote %s: train %lld videos (%lld violent) %lld snippets, test %lld videos (%lld violent) "
           "%lld snippets; %d crops, visual %d-d, audio %d-d; dropped %lld extra visual rows; test truth %lld "
           "positive frames, %lld annotated frames past the features dropped, %lld unused annotation lines\n",
           out, (long long)st.train.videos, (long long)st.train.violent, (long long)st.train.snippets,
           (long long)st.test.videos, (long long)st.test.violent, (long long)st.test.snippets, st.n_crops,
           st.d_visual, st.d_audio, (long long)(st.train.dropped_visual_rows + st.test.dropped_visual_rows),
           (long long)st.test.positive_frames, (long long)st.test.dropped_frames,
           (long long)st.unused_annotations);
    fflush(stdout);
    return 0;
}
