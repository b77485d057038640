/* cmd_import_xdv.c - `robusta import-xdv`: command-line front end of rb_import_xdv (options, the
 * dataset file, the one-line summary). Usage and semantics: docs/import-xdv.md. Every error is
 * returned to main (RB_ERR), which prints one line "robusta: error: ...", exit status 1. */
#include "rb_cmd.h"
#include "rb_core.h"
#include "rb_data.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What `robusta import-xdv` reads from its command line. */
struct import_xdv_options {
    const char *lists;           /* --lists DIR: the four standard list files */
    const char *rgb_list;        /* --rgb-list FILE, or NULL: DIR/rgb.list */
    const char *audio_list;      /* --audio-list FILE, or NULL: DIR/audio.list */
    const char *rgb_test_list;   /* --rgb-test-list FILE, or NULL: DIR/rgb_test.list */
    const char *audio_test_list; /* --audio-test-list FILE, or NULL: DIR/audio_test.list */
    const char *visual_dir;      /* --visual-dir DIR */
    const char *visual_test_dir; /* --visual-test-dir DIR, or NULL: --visual-dir */
    const char *audio_dir;       /* --audio-dir DIR */
    const char *audio_test_dir;  /* --audio-test-dir DIR, or NULL: --audio-dir */
    const char *annotations;     /* --annotations FILE */
    const char *out;             /* --out FILE */
    const char *crops;           /* --crops N: "1" or "5" */
    const char *name;            /* --name NAME */
    int force;                   /* --force */
};

int rb_cmd_import_xdv(int argc, char **argv) {
    struct import_xdv_options o = {.crops = "5", .name = "xdv"};
    const rb_opt opts[] = {
        RB_CLI_VALUE("lists", 0, "DIR", &o.lists, "directory holding rgb.list, audio.list, rgb_test.list, audio_test.list"),
        RB_CLI_VALUE("rgb-list", 0, "FILE", &o.rgb_list, "training visual list (overrides DIR/rgb.list)"),
        RB_CLI_VALUE("audio-list", 0, "FILE", &o.audio_list, "training audio list (overrides DIR/audio.list)"),
        RB_CLI_VALUE("rgb-test-list", 0, "FILE", &o.rgb_test_list, "test visual list (overrides DIR/rgb_test.list)"),
        RB_CLI_VALUE("audio-test-list", 0, "FILE", &o.audio_test_list, "test audio list (overrides DIR/audio_test.list)"),
        RB_CLI_VALUE("visual-dir", 0, "DIR", &o.visual_dir, "I3D files of the training split (e.g. i3d-features/RGB)"),
        RB_CLI_VALUE("visual-test-dir", 0, "DIR", &o.visual_test_dir, "I3D files of the test split (default: --visual-dir)"),
        RB_CLI_VALUE("audio-dir", 0, "DIR", &o.audio_dir, "VGGish files of the training split (e.g. vggish-features/train)"),
        RB_CLI_VALUE("audio-test-dir", 0, "DIR", &o.audio_test_dir, "VGGish files of the test split (default: --audio-dir)"),
        RB_CLI_VALUE("annotations", 0, "FILE", &o.annotations, "test annotations (annotations.txt: video start end [start end ...])"),
        RB_CLI_VALUE("out", 0, "FILE", &o.out, "dataset file to write (HDF5)"),
        RB_CLI_VALUE("crops", 0, "N", &o.crops, "1 (centre crop only) or 5 (default 5)"),
        RB_CLI_VALUE("name", 0, "NAME", &o.name, "dataset name recorded in the file (default xdv)"),
        RB_CLI_FLAG("force", 0, &o.force, "overwrite an existing --out file"),
    };
    const int n_opts = RB_CLI_COUNT(opts);
    rb_cli_list pos;
    static const char synopsis[] =
        "--lists DIR --visual-dir DIR --audio-dir DIR --annotations FILE --out FILE [options]";
    static const char summary[] =
        "Convert the public XD-Violence feature release (I3D RGB crops + VGGish audio .npy files) into a\n"
        "robusta dataset file. List entries are matched by file name inside the given directories; the\n"
        "directory part of each list line is ignored.";
    int start = rb_cli_command(argc, argv, opts, n_opts, synopsis, summary, &pos);
    if (start != 0) return start == RB_ERR ? RB_ERR : 0; /* an error, or --help */
    if (pos.n) { /* every rank parsed the same argv: they agree, rank 0 prints */
        rb_fail("import-xdv: unexpected argument '%s' (see robusta import-xdv --help)", pos.items[0]);
        rb_cli_free(opts, n_opts, &pos);
        return rb_mpi_agree(RB_ERR, &(MPI_Comm){MPI_COMM_WORLD});
    }
    rb_cli_free(opts, n_opts, &pos);
    int size = 1, initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) /* seen by every rank */
        return rb_mpi_agree(rb_fail("import-xdv is a serial command; run it without mpirun/srun (got %d ranks)", size),
                            &(MPI_Comm){MPI_COMM_WORLD});
    /* from here on one rank: an error returns to main, which prints it */

    /* list files: --lists DIR gives the standard names, single flags override them */
    char paths[4][4096];
    const char **list_field[4] = {&o.rgb_list, &o.audio_list, &o.rgb_test_list, &o.audio_test_list};
    static const char *const list_name[4] = {"rgb.list", "audio.list", "rgb_test.list", "audio_test.list"};
    static const char *const list_opt[4] = {"--rgb-list", "--audio-list", "--rgb-test-list", "--audio-test-list"};
    for (int l = 0; l < 4; l++) {
        if (*list_field[l]) continue;
        if (!o.lists)
            return rb_fail("import-xdv: give --lists DIR or %s FILE (see --help)", list_opt[l]);
        int n = snprintf(paths[l], sizeof paths[l], "%s/%s", o.lists, list_name[l]);
        if (n < 0 || (size_t)n >= sizeof paths[l])
            return rb_fail("import-xdv: path %s/%s is too long", o.lists, list_name[l]);
        *list_field[l] = paths[l];
    }
    const char *required[][2] = {{"--visual-dir", o.visual_dir}, {"--audio-dir", o.audio_dir}, {"--annotations", o.annotations}, {"--out", o.out}};
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++)
        if (!required[r][1] || !*required[r][1])
            return rb_fail("import-xdv: %s is required (see --help)", required[r][0]);
    if (strcmp(o.crops, "1") != 0 && strcmp(o.crops, "5") != 0)
        return rb_fail("import-xdv: --crops must be 1 or 5, got '%s'", o.crops);
    if (!*o.name)
        return rb_fail("import-xdv: --name must not be empty");
    if (!o.force && access(o.out, F_OK) == 0) return rb_fail("import-xdv: %s exists; remove it or pass --force", o.out);

    rb_xdv_options opt = {
        .visual_list = o.rgb_list, .audio_list = o.audio_list, .visual_test_list = o.rgb_test_list,
        .audio_test_list = o.audio_test_list,
        .visual_dir = o.visual_dir, .audio_dir = o.audio_dir, .visual_test_dir = o.visual_test_dir,
        .audio_test_dir = o.audio_test_dir, .annotations = o.annotations, .n_crops = atoi(o.crops)};
    rb_dataset d;
    rb_xdv_stats st;
    if (rb_import_xdv(&opt, o.name, &d, &st) != RB_OK) return RB_ERR;
    int rc = rb_dataset_write(o.out, &d);
    rb_dataset_free(&d);
    if (rc != RB_OK) return RB_ERR;
    printf("import-xdv: wrote %s: train %lld videos (%lld violent) %lld snippets, test %lld videos (%lld violent) "
           "%lld snippets; %d crops, visual %d-d, audio %d-d; dropped %lld extra visual rows; test truth %lld "
           "positive frames, %lld annotated frames past the features dropped, %lld unused annotation lines\n",
           o.out, (long long)st.train.videos, (long long)st.train.violent, (long long)st.train.snippets,
           (long long)st.test.videos, (long long)st.test.violent, (long long)st.test.snippets, st.n_crops,
           st.d_visual, st.d_audio, (long long)(st.train.dropped_visual_rows + st.test.dropped_visual_rows),
           (long long)st.test.positive_frames, (long long)st.test.dropped_frames,
           (long long)st.unused_annotations);
    fflush(stdout);
    return 0;
}
