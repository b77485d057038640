/* test_journal.c - the per-run journal of finished cells (src/io/journal.c): records appended by two
 * ranks and two attempts load back bitwise (NaN and -0.0 included) with their tags, in file-name then
 * record order, so keying them by cell gives each cell's latest record; a torn (truncated) record, a
 * flipped byte or a foreign file end what is trusted of that file only; a whole record of another
 * length, or of the format before run identities, is an error; the tag text (cell key and run
 * identity) formats and parses back, and every malformed tag or key is refused. */
#include "rb_io.h"
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_LEN 5 /* doubles per record: cell index + 4 values */
#define DIGEST_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* A fresh run directory under the test scratch directory. */
static const char *rb_run_dir(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", rb_test_tmpdir(), name);
    RB_EXPECT_MSG(mkdir(buf, 0777) == 0, "cannot create %s", buf);
    return buf;
}

/* The record of a cell in attempt a: its index, then values that differ per cell and attempt, with a
 * NaN and a negative zero that only a bitwise round trip keeps. */
static void rb_record(int cell, int attempt, double *rec) {
    rec[0] = cell;
    rec[1] = 0.1 * cell + attempt;
    rec[2] = attempt ? -0.0 : 1.0 / 3.0;
    rec[3] = cell % 2 ? NAN : -1e300;
    rec[4] = 1000.0 + cell;
}

static void rb_tag_of(int cell, rb_journal_tag *t) {
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "xdv-like/visual.fog/%d", cell);
    snprintf(t->version, sizeof t->version, "0.1.0");
    snprintf(t->commit, sizeof t->commit, "4de70cfcd434-dirty");
    snprintf(t->config_digest, sizeof t->config_digest, DIGEST_A);
    snprintf(t->inputs_digest, sizeof t->inputs_digest, DIGEST_B);
}

/* The byte size of the record of a cell (16-byte header, tag text, payload, checksum). */
static long rb_record_bytes(int cell) {
    rb_journal_tag t;
    char text[2048];
    rb_tag_of(cell, &t);
    if (rb_journal_tag_format(&t, text, sizeof text) != RB_OK) return -1;
    return 16 + (long)strlen(text) + 8 * REC_LEN + 8;
}

static void rb_append_cells(const char *run_dir, int attempt, int rank, const int *cells, int n) {
    rb_journal j;
    RB_EXPECT_OK(rb_journal_open(&j, run_dir, attempt, rank));
    for (int i = 0; i < n; i++) {
        double rec[REC_LEN];
        rb_journal_tag t;
        rb_record(cells[i], attempt, rec);
        rb_tag_of(cells[i], &t);
        RB_EXPECT_OK(rb_journal_append(&j, &t, rec, REC_LEN));
    }
    rb_journal_close(&j);
}

static void rb_journal_path(const char *run_dir, int attempt, int rank, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/journal/attempt-%04d-rank-%06d.bin", run_dir, attempt, rank);
}

/* Cell indices of the loaded records, in load order, as "i,j,k"; each tag's key must name the same cell. */
static void rb_loaded_cells(const double *recs, const rb_journal_tag *tags, int count, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int r = 0; r < count; r++) {
        int cell = (int)recs[(size_t)r * REC_LEN];
        char want[64];
        snprintf(want, sizeof want, "xdv-like/visual.fog/%d", cell);
        RB_EXPECT_MSG(strcmp(tags[r].key, want) == 0, "record %d: key %s, expected %s", r, tags[r].key, want);
        RB_EXPECT_MSG(strcmp(tags[r].config_digest, DIGEST_A) == 0, "%s = \"%s\"", "tags[r].config_digest", tags[r].config_digest);
        RB_EXPECT_MSG(strcmp(tags[r].inputs_digest, DIGEST_B) == 0, "%s = \"%s\"", "tags[r].inputs_digest", tags[r].inputs_digest);
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%d", r ? "," : "", cell);
    }
}

RB_TEST(journal_round_trip_two_ranks_two_attempts) {
    char dir[600];
    rb_run_dir("journal-round-trip", dir, sizeof dir);
    int attempts = -1, exists = -1, count = -1;
    RB_EXPECT_OK(rb_journal_attempts(dir, &attempts));
    RB_EXPECT_INT(attempts, 0);
    RB_EXPECT_OK(rb_journal_exists(dir, &exists));
    RB_EXPECT_INT(exists, 0);
    double *recs = NULL;
    rb_journal_tag *tags = NULL;
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &tags, &count)); /* no journal yet: nothing, no error */
    RB_EXPECT_INT(count, 0);
    free(recs);
    free(tags);

    const int rank0[] = {0, 2, 4}, rank1[] = {1, 3}, retry[] = {2};
    rb_append_cells(dir, 0, 0, rank0, 3);
    rb_append_cells(dir, 0, 1, rank1, 2);
    RB_EXPECT_OK(rb_journal_attempts(dir, &attempts));
    RB_EXPECT_INT(attempts, 1);
    rb_append_cells(dir, 1, 0, retry, 1); /* a resumed attempt recomputes cell 2 */
    RB_EXPECT_OK(rb_journal_attempts(dir, &attempts));
    RB_EXPECT_INT(attempts, 2);
    RB_EXPECT_OK(rb_journal_count(dir, &count));
    RB_EXPECT_INT(count, 6);

    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &tags, &count));
    char order[128];
    rb_loaded_cells(recs, tags, count, order, sizeof order);
    RB_EXPECT_MSG(strcmp(order, "0,2,4,1,3,2") == 0, "load order %s, expected 0,2,4,1,3,2 (file name, then record)",
                  order);
    /* keyed by cell, the later record wins (as bench --resume restores them) */
    double by_cell[5][REC_LEN];
    int seen[5] = {0};
    for (int r = 0; recs && r < count; r++) {
        int cell = (int)recs[(size_t)r * REC_LEN];
        if (cell < 0 || cell >= 5) continue;
        memcpy(by_cell[cell], recs + (size_t)r * REC_LEN, sizeof by_cell[cell]);
        seen[cell] = 1;
    }
    for (int cell = 0; cell < 5; cell++) {
        double want[REC_LEN];
        rb_record(cell, cell == 2 ? 1 : 0, want);
        RB_EXPECT_MSG(seen[cell] && memcmp(by_cell[cell], want, sizeof want) == 0,
                      "cell %d: record not restored bitwise (seen %d)", cell, seen[cell]);
    }
    free(recs);
    free(tags);

    /* a reset run directory has no journal left */
    RB_EXPECT_OK(rb_journal_remove(dir));
    RB_EXPECT_OK(rb_journal_exists(dir, &exists));
    RB_EXPECT_INT(exists, 0);
}

/* Overwrite one byte of a file at offset. */
static void rb_flip_byte(const char *path, long offset) {
    FILE *f = fopen(path, "r+b");
    RB_EXPECT_MSG(f != NULL, "cannot open %s", path);
    if (!f) return;
    fseek(f, offset, SEEK_SET);
    int c = fgetc(f);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
}

RB_TEST(journal_torn_or_corrupt_records_are_not_trusted) {
    char dir[600], path[700];
    rb_run_dir("journal-damaged", dir, sizeof dir);
    const int cells0[] = {0, 1, 2}, cells1[] = {3, 4, 5}, cells2[] = {6, 7};
    rb_append_cells(dir, 0, 0, cells0, 3);
    rb_append_cells(dir, 0, 1, cells1, 3);
    rb_append_cells(dir, 0, 2, cells2, 2);
    struct stat st;
    rb_journal_path(dir, 0, 0, path, sizeof path);
    long b0 = rb_record_bytes(0), b1 = rb_record_bytes(1), b2 = rb_record_bytes(2);
    RB_EXPECT(stat(path, &st) == 0 && st.st_size == b0 + b1 + b2);

    /* rank 0's last record torn by a kill mid-write; a payload byte of rank 1's second record
     * flipped (its checksum fails, and the record after it is not trusted either) */
    RB_EXPECT(truncate(path, b0 + b1 + b2 - 5) == 0);
    rb_journal_path(dir, 0, 1, path, sizeof path);
    rb_flip_byte(path, rb_record_bytes(3) + rb_record_bytes(4) - 8 - 8 * 2);
    /* a foreign file in the journal directory is not a journal file */
    char other[700];
    snprintf(other, sizeof other, "%s/journal/notes.txt", dir);
    FILE *f = fopen(other, "w");
    if (f) {
        fputs("not a journal\n", f);
        fclose(f);
    }
    double *recs = NULL;
    rb_journal_tag *tags = NULL;
    int count = -1;
    char order[128];
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &tags, &count));
    rb_loaded_cells(recs, tags, count, order, sizeof order);
    RB_EXPECT_MSG(strcmp(order, "0,1,3,6,7") == 0, "loaded %s, expected 0,1,3,6,7", order);
    for (int r = 0; recs && r < count; r++) {
        double want[REC_LEN];
        rb_record((int)recs[(size_t)r * REC_LEN], 0, want);
        RB_EXPECT_MSG(memcmp(recs + (size_t)r * REC_LEN, want, sizeof want) == 0, "record %d changed", r);
    }
    free(recs);
    free(tags);

    /* a flipped byte inside a tag fails the checksum too: rank 2's first record hides that whole file */
    rb_journal_path(dir, 0, 2, path, sizeof path);
    rb_flip_byte(path, 16 + 4);
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &tags, &count));
    rb_loaded_cells(recs, tags, count, order, sizeof order);
    RB_EXPECT_MSG(strcmp(order, "0,1,3") == 0, "loaded %s, expected 0,1,3", order);
    free(recs);
    free(tags);

    /* whole records of another length (a run with other methods or replicas) are an error, not
     * silently skipped */
    RB_EXPECT(rb_journal_load(dir, REC_LEN + 1, &recs, &tags, &count) == RB_ERR);
    RB_EXPECT(strstr(rb_error_message(), "holds 5 values, this run's records hold 6") != NULL);
    RB_EXPECT_INT(count, 0);
    RB_EXPECT(recs == NULL && tags == NULL);
}

RB_TEST(journal_record_of_the_format_before_run_identities_is_refused) {
    char dir[600], jdir[700], path[800];
    rb_run_dir("journal-v1", dir, sizeof dir);
    snprintf(jdir, sizeof jdir, "%s/journal", dir);
    RB_EXPECT(mkdir(jdir, 0777) == 0);
    snprintf(path, sizeof path, "%s/attempt-0000-rank-000000.bin", jdir);
    /* "RBJ1", n, n doubles, FNV-1a of the doubles: the old format, whole */
    double rec[REC_LEN];
    rb_record(3, 0, rec);
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p = (const unsigned char *)rec;
    for (size_t i = 0; i < sizeof rec; i++) h = (h ^ p[i]) * 1099511628211ull;
    uint32_t head[2] = {0x314a4252u, REC_LEN};
    FILE *f = fopen(path, "wb");
    RB_EXPECT(f != NULL);
    if (!f) return;
    fwrite(head, 4, 2, f);
    fwrite(rec, sizeof rec, 1, f);
    fwrite(&h, 8, 1, f);
    fclose(f);
    double *recs = NULL;
    rb_journal_tag *tags = NULL;
    int count = -1;
    RB_EXPECT(rb_journal_load(dir, REC_LEN, &recs, &tags, &count) == RB_ERR);
    RB_EXPECT(strstr(rb_error_message(), "without cell key or run identity") != NULL);
    RB_EXPECT(rb_journal_count(dir, &count) == RB_ERR);
}

RB_TEST(journal_tag_format_and_parse_round_trip) {
    rb_journal_tag t, back;
    char text[2048];
    rb_tag_of(7, &t);
    snprintf(t.key, sizeof t.key, "ucf-like/pair.fog+reverb/5");
    RB_EXPECT_OK(rb_journal_tag_format(&t, text, sizeof text));
    RB_EXPECT_MSG(strcmp(text, "key=ucf-like/pair.fog+reverb/5\nversion=0.1.0\ncommit=4de70cfcd434-dirty\nconfig=" DIGEST_A
                        "\ninputs=" DIGEST_B "\n") == 0, "%s = \"%s\"", "text", text);
    RB_EXPECT_OK(rb_journal_tag_parse(text, strlen(text), &back));
    RB_EXPECT(memcmp(&t, &back, sizeof t) == 0);
    char dataset[128], label[256];
    int sev = -1;
    RB_EXPECT_OK(rb_journal_key_split(back.key, dataset, sizeof dataset, label, sizeof label, &sev));
    RB_EXPECT_MSG(strcmp(dataset, "ucf-like") == 0, "%s = \"%s\"", "dataset", dataset);
    RB_EXPECT_MSG(strcmp(label, "pair.fog+reverb") == 0, "%s = \"%s\"", "label", label);
    RB_EXPECT_INT(sev, 5);
    RB_EXPECT_OK(rb_journal_key_split("xdv-like/clean/0", dataset, sizeof dataset, label, sizeof label, &sev));
    RB_EXPECT_MSG(strcmp(label, "clean") == 0, "%s = \"%s\"", "label", label);
    RB_EXPECT_INT(sev, 0);
    /* a buffer too small is an error, not a truncated tag */
    RB_EXPECT(rb_journal_tag_format(&t, text, 40) == RB_ERR);
}

RB_TEST(journal_tag_parse_refuses_malformed_tags_and_keys) {
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"", "expected field \"key=\""},
        {"version=1\nkey=a/b/1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "expected field \"key=\""},
        {"key=a/b/1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\n", "expected field \"inputs=\""},
        {"key=a/b/1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B, "not ended by a newline"},
        {"key=a/b/1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\nextra=1\n", "unexpected bytes"},
        {"key=a/b/1\nversion=1\ncommit=c\nconfig=0123\ninputs=" DIGEST_B "\n", "config digest"},
        {"key=a/b/1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeX\n", "inputs digest"},
        {"key=a/b/1\nversion=\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "empty version"},
        {"key=ab1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "expected <dataset>"},
        {"key=a/b/c/1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "expected <dataset>"},
        {"key=/b/1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "empty dataset"},
        {"key=a//1\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "empty dataset or condition"},
        {"key=a/b/100\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "not a number 0..99"},
        {"key=a/b/x\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "not a number 0..99"},
        {"key=a/b/\nversion=1\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n", "no severity"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rb_journal_tag t;
        rb_error_clear();
        int rc = rb_journal_tag_parse(bad[i].text, strlen(bad[i].text), &t);
        RB_EXPECT_MSG(rc == RB_ERR && strstr(rb_error_message(), bad[i].why) != NULL,
                      "tag %zu: rc %d, message \"%s\", expected one containing \"%s\"", i, rc, rb_error_message(),
                      bad[i].why);
    }
    /* a NUL byte inside a field (the length says where the text ends, not a terminator) */
    const char nul[] = "key=a/b/1\nversion=1\0x\ncommit=c\nconfig=" DIGEST_A "\ninputs=" DIGEST_B "\n";
    rb_journal_tag t;
    RB_EXPECT(rb_journal_tag_parse(nul, sizeof nul - 1, &t) == RB_ERR);
    RB_EXPECT(strstr(rb_error_message(), "NUL byte") != NULL);
}
