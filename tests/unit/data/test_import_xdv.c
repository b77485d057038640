/* test_import_xdv.c - rb_import_xdv on a small tree in the real release layout (absolute foreign paths
 * in the lists, 5 crops, separate train/test directories): values land in the right rows and crops,
 * labels, the dropped-visual-row rule, frame truth counted by hand, and each error case. */
#include "rb_core.h"
#include "rb_data.h"
#include "rb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DV 6 /* visual width of the fixture */
#define DA 3 /* audio width */

/* Feature values encode their position, so a misplaced row shows up as a wrong number. */
static float vis_value(int video, int crop, int row, int col) { return (float)(video * 10000 + crop * 1000 + row * 10 + col); }
static float aud_value(int video, int row, int col) { return (float)-(video * 10000 + row * 10 + col + 1); }

typedef struct {
    const char *name;
    int test;       /* 0 train, 1 test */
    int tv, ta;     /* visual rows (every crop), audio rows */
} fx_video;

/* Train: one violent, one normal with an extra visual row. Test: two violent, one normal. */
static const fx_video fx[] = {
    {"Movie.A.2001__#00-01-00_00-02-00_label_B1-0-0", 0, 4, 4},
    {"Movie.B.2002__#00-05-00_00-06-00_label_A", 0, 3, 2},
    {"Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0", 1, 3, 3},
    {"Test.N1.2004__#01-00-00_01-00-20_label_A", 1, 2, 2},
    {"v=Test.V2__#1_label_G-0-0", 1, 3, 2},
};
#define FX_N ((int)(sizeof fx / sizeof fx[0]))

static void fx_path(char *out, size_t cap, const char *root, const char *sub, const char *file) {
    snprintf(out, cap, "%s/%s/%s", root, sub, file);
}

/* Raw .npy writer (dict padded NumPy-style). descr "<f4" or "<f8"; values generated from fn. */
static void write_npy_raw(const char *path, const char *dict, const void *data, size_t nbytes) {
    size_t dl = strlen(dict), padded = (10 + dl + 1 + 63) / 64 * 64, hlen = padded - 10;
    unsigned char head[256];
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (unsigned char)(hlen & 0xff);
    head[9] = (unsigned char)(hlen >> 8);
    memcpy(head + 10, dict, dl);
    memset(head + 10 + dl, ' ', hlen - dl - 1);
    head[padded - 1] = '\n';
    FILE *f = fopen(path, "wb");
    RB_EXPECT(f != NULL);
    if (!f) return;
    fwrite(head, 1, padded, f);
    if (nbytes) fwrite(data, 1, nbytes, f);
    fclose(f);
}

static void write_vis(const char *path, int v, int crop, int rows) {
    float *x = malloc(sizeof(float) * (size_t)rows * DV);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < DV; j++) x[r * DV + j] = vis_value(v, crop, r, j);
    char dict[128];
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, DV);
    write_npy_raw(path, dict, x, sizeof(float) * (size_t)rows * DV);
    free(x);
}

static void write_aud_f8(const char *path, int v, int rows) {
    double *x = malloc(sizeof(double) * (size_t)rows * DA);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < DA; j++) x[r * DA + j] = aud_value(v, r, j);
    char dict[128];
    snprintf(dict, sizeof dict, "{'shape': (%d, %d), 'fortran_order': False, 'descr': '<f8'}", rows, DA);
    write_npy_raw(path, dict, x, sizeof(double) * (size_t)rows * DA);
    free(x);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    RB_EXPECT(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static const char *fx_annotations =
    "Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0 10 20 40 60\n"
    "v=Test.V2__#1_label_G-0-0.mp4 0 5 3 20\n"
    "Not.In.Lists__#0_label_B1-0-0 1 2\n";

/* Build the fixture tree under <tmp>/<tag>; fill opt. Train lists use CRLF line ends and the test list
 * has its crops out of order, as hand-edited lists do. */
static void make_fixture(const char *tag, char *root, size_t cap, rb_xdv_options *opt) {
    snprintf(root, cap, "%s/%s", rb_test_tmpdir(), tag);
    const char *subs[] = {"", "/RGB", "/RGBTest", "/vggish_train", "/vggish_test", "/list"};
    char p[1024];
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        snprintf(p, sizeof p, "%s%s", root, subs[i]);
        mkdir(p, 0755);
    }
    static char lists[4][8192];
    for (int l = 0; l < 4; l++) lists[l][0] = '\0';
    for (int v = 0; v < FX_N; v++) {
        char file[512], line[1024];
        const char *vsub = fx[v].test ? "RGBTest" : "RGB", *asub = fx[v].test ? "vggish_test" : "vggish_train";
        for (int k = 0; k < 5; k++) {
            int c = fx[v].test ? (k + 2) % 5 : k;
            snprintf(file, sizeof file, "%s__%d.npy", fx[v].name, c);
            fx_path(p, sizeof p, root, vsub, file);
            write_vis(p, v, c, fx[v].tv);
            snprintf(line, sizeof line, "/media/peng/Samsung_T5/i3d-features/%s/%s%s", vsub, file,
                     fx[v].test ? "\n" : "\r\n");
            strcat(lists[fx[v].test ? 2 : 0], line);
        }
        snprintf(file, sizeof file, "%s__vggish.npy", fx[v].name);
        fx_path(p, sizeof p, root, asub, file);
        write_aud_f8(p, v, fx[v].ta);
        snprintf(line, sizeof line, "/media/peng/Samsung_T5/vggish-features/%s/%s\n", asub, file);
        strcat(lists[fx[v].test ? 3 : 1], line);
    }
    static const char *names[4] = {"rgb.list", "audio.list", "rgb_test.list", "audio_test.list"};
    static char list_path[4][1024];
    for (int l = 0; l < 4; l++) {
        snprintf(list_path[l], sizeof list_path[l], "%s/list/%s", root, names[l]);
        write_text(list_path[l], lists[l]);
    }
    static char ann[1024], dirs[4][1024];
    snprintf(ann, sizeof ann, "%s/annotations.txt", root);
    write_text(ann, fx_annotations);
    snprintf(dirs[0], sizeof dirs[0], "%s/RGB", root);
    snprintf(dirs[1], sizeof dirs[1], "%s/RGBTest", root);
    snprintf(dirs[2], sizeof dirs[2], "%s/vggish_train", root);
    snprintf(dirs[3], sizeof dirs[3], "%s/vggish_test", root);
    memset(opt, 0, sizeof *opt);
    opt->visual_list = list_path[0];
    opt->audio_list = list_path[1];
    opt->visual_test_list = list_path[2];
    opt->audio_test_list = list_path[3];
    opt->visual_dir = dirs[0];
    opt->visual_test_dir = dirs[1];
    opt->audio_dir = dirs[2];
    opt->audio_test_dir = dirs[3];
    opt->annotations = ann;
    opt->n_crops = 5;
}

/* Import and expect failure with substring; the dataset must come back empty. */
static void expect_import_error(const rb_xdv_options *opt, const char *substring, int line) {
    rb_dataset d;
    rb_error_clear();
    if (rb_import_xdv(opt, "t", &d, NULL) == RB_OK) {
        rb_test_fail(__FILE__, line, "import succeeded, expected an error containing \"%s\"", substring);
        rb_dataset_free(&d);
        return;
    }
    if (!strstr(rb_error_message(), substring))
        rb_test_fail(__FILE__, line, "error \"%s\" lacks \"%s\"", rb_error_message(), substring);
    if (d.train.n_videos != 0 || d.test.n_videos != 0 || d.name != NULL)
        rb_test_fail(__FILE__, line, "dataset not left empty after an error");
}
#define EXPECT_IMPORT_ERROR(opt, sub) expect_import_error(opt, sub, __LINE__)

RB_TEST(import_xdv_happy_path_values_and_truth) {
    char root[600];
    rb_xdv_options opt;
    make_fixture("xdv_ok", root, sizeof root, &opt);
    rb_dataset d;
    rb_xdv_stats st;
    RB_EXPECT_OK(rb_import_xdv(&opt, "xdv-test", &d, &st));
    if (d.train.n_videos != 2 || d.test.n_videos != 3) {
        rb_test_fail(__FILE__, __LINE__, "videos %lld/%lld", (long long)d.train.n_videos, (long long)d.test.n_videos);
        rb_dataset_free(&d);
        return;
    }
    RB_EXPECT(strcmp(d.name, "xdv-test") == 0);
    RB_EXPECT(strcmp(d.source, "import-xdv") == 0);
    RB_EXPECT_INT(d.frames_per_snippet, 16);
    RB_EXPECT(d.recipe && strncmp(d.recipe, "importer=import-xdv crops=5 d_visual=6 d_audio=3 ", 48) == 0);
    RB_EXPECT(d.recipe && strstr(d.recipe, " annotations_sha256=") != NULL);
    /* train: A has 4 snippets, B 3 visual / 2 audio -> 2 kept */
    RB_EXPECT_INT(d.train.n_snippets, 6);
    RB_EXPECT_INT(d.train.offsets[1], 4);
    RB_EXPECT_INT(d.train.n_crops, 5);
    RB_EXPECT_INT(d.train.d_visual, DV);
    RB_EXPECT_INT(d.train.d_audio, DA);
    RB_EXPECT(strcmp(d.train.names[0], fx[0].name) == 0);
    RB_EXPECT(strcmp(d.train.names[1], fx[1].name) == 0);
    RB_EXPECT_INT(d.train.labels[0], 1);
    RB_EXPECT_INT(d.train.labels[1], 0);
    RB_EXPECT(d.train.snippet_pos == NULL);
    /* video 1 (B), snippet 1 of it, crop 3, column 5 */
    RB_EXPECT_NEAR(rb_split_visual_at(&d.train, 4 + 1, 3)[5], vis_value(1, 3, 1, 5), 0);
    RB_EXPECT_NEAR(rb_split_visual_at(&d.train, 3, 4)[0], vis_value(0, 4, 3, 0), 0);
    RB_EXPECT_NEAR(rb_split_audio_at(&d.train, 5)[2], aud_value(1, 1, 2), 0);
    int all = 1;
    for (int v = 0; v < 2; v++)
        for (int64_t s = d.train.offsets[v]; s < d.train.offsets[v + 1]; s++)
            for (int c = 0; c < 5; c++)
                for (int j = 0; j < DV; j++)
                    all &= rb_split_visual_at(&d.train, s, c)[j] == vis_value(v, c, (int)(s - d.train.offsets[v]), j);
    RB_EXPECT(all);
    /* test: V1 3 snippets, N1 2, V2 3 visual / 2 audio -> 2 */
    RB_EXPECT_INT(d.test.n_snippets, 7);
    RB_EXPECT_INT(d.test.offsets[1], 3);
    RB_EXPECT_INT(d.test.offsets[2], 5);
    RB_EXPECT_INT(d.test.labels[0], 1);
    RB_EXPECT_INT(d.test.labels[1], 0);
    RB_EXPECT_INT(d.test.labels[2], 1);
    RB_EXPECT(strcmp(d.test.names[2], "v=Test.V2__#1_label_G-0-0") == 0);
    RB_EXPECT_NEAR(rb_split_visual_at(&d.test, 6, 2)[4], vis_value(4, 2, 1, 4), 0); /* crops listed out of order */
    RB_EXPECT_NEAR(rb_split_audio_at(&d.test, 4)[0], aud_value(3, 1, 0), 0);
    /* truth by hand. V1 (3 snippets = frames 0..47): [10,20) -> 6 in snippet 0, 4 in snippet 1;
     * [40,60) -> 8 in snippet 2, 12 frames dropped. N1: nothing. V2 (2 snippets): [0,5) u [3,20) =
     * [0,20) -> 16, 4. */
    const int32_t want_pos[7] = {6, 4, 8, 0, 0, 16, 4};
    for (int i = 0; i < 7; i++) {
        RB_EXPECT_INT(d.test.snippet_pos[i], want_pos[i]);
        RB_EXPECT_INT(d.test.snippet_frames[i], 16);
    }
    RB_EXPECT_INT(st.test.positive_frames, 38);
    RB_EXPECT_INT(st.test.dropped_frames, 12);
    RB_EXPECT_INT(st.train.dropped_visual_rows, 1);
    RB_EXPECT_INT(st.test.dropped_visual_rows, 1);
    RB_EXPECT_INT(st.unused_annotations, 1);
    RB_EXPECT_INT(st.train.violent, 1);
    RB_EXPECT_INT(st.test.violent, 2);
    RB_EXPECT_INT(st.d_visual, DV);
    RB_EXPECT_OK(rb_split_validate(&d.train, 16, 0, "train"));
    RB_EXPECT_OK(rb_split_validate(&d.test, 16, 1, "test"));
    rb_dataset_free(&d);
}

RB_TEST(import_xdv_one_crop_opens_only_the_centre) {
    char root[600], p[1024];
    rb_xdv_options opt;
    make_fixture("xdv_crop1", root, sizeof root, &opt);
    for (int v = 0; v < FX_N; v++)
        for (int c = 1; c < 5; c++) {
            snprintf(p, sizeof p, "%s/%s/%s__%d.npy", root, fx[v].test ? "RGBTest" : "RGB", fx[v].name, c);
            RB_EXPECT(unlink(p) == 0);
        }
    opt.n_crops = 1;
    rb_dataset d;
    RB_EXPECT_OK(rb_import_xdv(&opt, "c1", &d, NULL));
    RB_EXPECT_INT(d.train.n_crops, 1);
    RB_EXPECT_INT(d.test.n_crops, 1);
    if (d.test.n_videos == 3) {
        RB_EXPECT_NEAR(rb_split_visual_at(&d.test, 4, 0)[1], vis_value(3, 0, 1, 1), 0);
        RB_EXPECT_NEAR(rb_split_visual_at(&d.train, 5, 0)[3], vis_value(1, 0, 1, 3), 0);
    }
    rb_dataset_free(&d);
    opt.n_crops = 5;
    EXPECT_IMPORT_ERROR(&opt, "__1.npy: cannot open");
    opt.n_crops = 3;
    EXPECT_IMPORT_ERROR(&opt, "1 or 5");
}

RB_TEST(import_xdv_missing_feature_file) {
    char root[600], p[1024];
    rb_xdv_options opt;
    make_fixture("xdv_missing", root, sizeof root, &opt);
    snprintf(p, sizeof p, "%s/RGB/%s__2.npy", root, fx[0].name);
    RB_EXPECT(unlink(p) == 0);
    EXPECT_IMPORT_ERROR(&opt, "train split");
    EXPECT_IMPORT_ERROR(&opt, "Movie.A.2001__#00-01-00_00-02-00_label_B1-0-0__2.npy: cannot open");
}

RB_TEST(import_xdv_annotation_mismatch) {
    char root[600];
    rb_xdv_options opt;
    make_fixture("xdv_ann", root, sizeof root, &opt);
    write_text(opt.annotations, "v=Test.V2__#1_label_G-0-0 0 5\n");
    EXPECT_IMPORT_ERROR(&opt, "violent test video Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0 has no line");
    write_text(opt.annotations, "Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0 1 2\nv=Test.V2__#1_label_G-0-0 0 5\n"
                                "Test.N1.2004__#01-00-00_01-00-20_label_A 3 9\n");
    EXPECT_IMPORT_ERROR(&opt, "gives 6 violent frames to normal video Test.N1");
    write_text(opt.annotations, "Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0 1 2\nv=Test.V2__#1_label_G-0-0 0 5\n"
                                "Test.N1.2004__#01-00-00_01-00-20_label_A 0 0\n");
    rb_dataset d;
    RB_EXPECT_OK(rb_import_xdv(&opt, "t", &d, NULL)); /* a normal video may carry an empty interval */
    rb_dataset_free(&d);
    write_text(opt.annotations, "Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0 1 2 7\n");
    EXPECT_IMPORT_ERROR(&opt, "annotations.txt:1: 3 frame numbers");
    write_text(opt.annotations, "x 1 2\nTest.V1.2003__#00-00-10_00-00-30_label_B2-G-0 9 4\n");
    EXPECT_IMPORT_ERROR(&opt, "annotations.txt:2: interval 9..4 ends before");
    write_text(opt.annotations, "Test.V1.2003__#00-00-10_00-00-30_label_B2-G-0 1 x2\n");
    EXPECT_IMPORT_ERROR(&opt, "\"x2\" is not a frame number");
    write_text(opt.annotations, "a 1 2\n\nb 3 4\na.mp4 5 6\n");
    EXPECT_IMPORT_ERROR(&opt, "video a is annotated twice (lines 1 and 4)");
}

RB_TEST(import_xdv_bad_npy_files_name_the_file) {
    char root[600], p[1024];
    rb_xdv_options opt;
    make_fixture("xdv_npy", root, sizeof root, &opt);
    snprintf(p, sizeof p, "%s/RGBTest/%s__4.npy", root, fx[2].name);
    float x[3 * DV] = {0};
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 6), }", x, sizeof x);
    EXPECT_IMPORT_ERROR(&opt, "label_B2-G-0__4.npy: Fortran-ordered");
    write_npy_raw(p, "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 6), }", x, sizeof x);
    EXPECT_IMPORT_ERROR(&opt, "label_B2-G-0__4.npy: unsupported dtype '<i4'");
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 6), }", x, sizeof x - 4);
    EXPECT_IMPORT_ERROR(&opt, "label_B2-G-0__4.npy: truncated data");
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }", x, 3 * 5 * 4);
    EXPECT_IMPORT_ERROR(&opt, "label_B2-G-0__4.npy: visual features are 5 wide, earlier files are 6 wide");
    x[7] = NAN;
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 6), }", x, sizeof x);
    EXPECT_IMPORT_ERROR(&opt, "label_B2-G-0__4.npy: value at row 1, column 1 is not finite");
}

RB_TEST(import_xdv_length_rules) {
    char root[600], p[1024];
    rb_xdv_options opt;
    make_fixture("xdv_len", root, sizeof root, &opt);
    snprintf(p, sizeof p, "%s/RGB/%s__3.npy", root, fx[0].name);
    write_vis(p, 0, 3, 5); /* crop 3 one row longer than the others */
    EXPECT_IMPORT_ERROR(&opt, "video Movie.A.2001__#00-01-00_00-02-00_label_B1-0-0: crop 3 has 5 snippets but crop 0 has 4");
    write_vis(p, 0, 3, 4);
    snprintf(p, sizeof p, "%s/vggish_train/%s__vggish.npy", root, fx[0].name);
    write_aud_f8(p, 0, 2); /* 4 visual vs 2 audio */
    EXPECT_IMPORT_ERROR(&opt, "video Movie.A.2001__#00-01-00_00-02-00_label_B1-0-0: 4 visual snippets but 2 audio");
    write_aud_f8(p, 0, 5); /* audio longer than visual */
    EXPECT_IMPORT_ERROR(&opt, "4 visual snippets but 5 audio");
}

RB_TEST(import_xdv_list_errors) {
    char root[600];
    rb_xdv_options opt;
    make_fixture("xdv_lists", root, sizeof root, &opt);
    char good_audio[8192];
    FILE *f = fopen(opt.audio_list, "rb");
    size_t n = f ? fread(good_audio, 1, sizeof good_audio - 1, f) : 0;
    if (f) fclose(f);
    good_audio[n] = '\0';
    /* drop the second audio line */
    char *second = strchr(good_audio, '\n') + 1;
    char edited[20000];
    snprintf(edited, sizeof edited, "%.*s", (int)(second - good_audio), good_audio);
    write_text(opt.audio_list, edited);
    EXPECT_IMPORT_ERROR(&opt, "video Movie.B.2002__#00-05-00_00-06-00_label_A (in");
    snprintf(edited, sizeof edited, "%s/somewhere/Unknown__vggish.npy\n", good_audio);
    write_text(opt.audio_list, edited);
    EXPECT_IMPORT_ERROR(&opt, "audio.list:3: video Unknown has audio but no visual line");
    snprintf(edited, sizeof edited, "%s/x/..\n", good_audio);
    write_text(opt.audio_list, edited);
    EXPECT_IMPORT_ERROR(&opt, "audio.list:3: entry \"/x/..\" is not a file name");
    snprintf(edited, sizeof edited, "%s/features/\n", good_audio);
    write_text(opt.audio_list, edited);
    EXPECT_IMPORT_ERROR(&opt, "names a directory");
    snprintf(edited, sizeof edited, "%s%s", good_audio, good_audio);
    write_text(opt.audio_list, edited);
    EXPECT_IMPORT_ERROR(&opt, "audio.list:3: Movie.A.2001__#00-01-00_00-02-00_label_B1-0-0__vggish.npy is listed twice");
    snprintf(edited, sizeof edited, "%s/a/b/Movie.C__0.wav\n", good_audio);
    write_text(opt.audio_list, edited);
    EXPECT_IMPORT_ERROR(&opt, "expected a file <video>__vggish.npy");
    write_text(opt.audio_list, good_audio);
    write_text(opt.visual_list, "/m/RGB/Movie.A.2001__#00-01-00_00-02-00_label_B1-0-0__0.npy\n");
    EXPECT_IMPORT_ERROR(&opt, "lacks crop 1");
    write_text(opt.visual_list, "/m/RGB/Movie.A__7.npy\n");
    EXPECT_IMPORT_ERROR(&opt, "rgb.list:1: crop index 7");
    write_text(opt.visual_list, "/m/RGB/Movie.A.npy\n");
    EXPECT_IMPORT_ERROR(&opt, "rgb.list:1: expected a file <video>__<crop>.npy");
    write_text(opt.visual_list, "\n\n");
    EXPECT_IMPORT_ERROR(&opt, "rgb.list: lists no video");
    /* a test video that is also in the training lists */
    make_fixture("xdv_lists2", root, sizeof root, &opt);
    f = fopen(opt.visual_list, "ab");
    for (int c = 0; c < 5 && f; c++) fprintf(f, "/m/%s__%d.npy\n", fx[3].name, c);
    if (f) fclose(f);
    f = fopen(opt.audio_list, "ab");
    if (f) {
        fprintf(f, "/m/%s__vggish.npy\n", fx[3].name);
        fclose(f);
    }
    char src[1024], dst[1024];
    for (int c = 0; c < 5; c++) {
        snprintf(src, sizeof src, "%s/RGBTest/%s__%d.npy", root, fx[3].name, c);
        snprintf(dst, sizeof dst, "%s/RGB/%s__%d.npy", root, fx[3].name, c);
        RB_EXPECT(link(src, dst) == 0);
    }
    snprintf(src, sizeof src, "%s/vggish_test/%s__vggish.npy", root, fx[3].name);
    snprintf(dst, sizeof dst, "%s/vggish_train/%s__vggish.npy", root, fx[3].name);
    RB_EXPECT(link(src, dst) == 0);
    EXPECT_IMPORT_ERROR(&opt, "video Test.N1.2004__#01-00-00_01-00-20_label_A is in both the training and the test lists");
}
