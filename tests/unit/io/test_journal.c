/* test_journal.c - the per-run journal of finished cells (src/io/journal.c): records appended by two
 * ranks and two attempts load back bitwise (NaN and -0.0 included), in file-name then record order,
 * so keying them by cell index gives each cell's latest record; a torn (truncated) record, a flipped
 * byte, a wrong record length or a foreign file end what is trusted of that file only. */
#include "rb_io.h"
#include "rb_core.h"
#include "rb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_LEN 5                                  /* doubles per record: cell index + 4 values */
#define REC_BYTES (8 + 8 * REC_LEN + 8)            /* magic + n, payload, checksum (journal.c) */

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

static void rb_append_cells(const char *run_dir, int attempt, int rank, const int *cells, int n) {
    rb_journal j;
    RB_EXPECT_OK(rb_journal_open(&j, run_dir, attempt, rank));
    for (int i = 0; i < n; i++) {
        double rec[REC_LEN];
        rb_record(cells[i], attempt, rec);
        RB_EXPECT_OK(rb_journal_append(&j, rec, REC_LEN));
    }
    rb_journal_close(&j);
}

static void rb_journal_path(const char *run_dir, int attempt, int rank, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/journal/attempt-%04d-rank-%06d.bin", run_dir, attempt, rank);
}

/* Cell indices of the loaded records, in load order, as "i,j,k". */
static void rb_loaded_cells(const double *recs, int count, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int r = 0; r < count; r++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%d", r ? "," : "", (int)recs[(size_t)r * REC_LEN]);
}

RB_TEST(journal_round_trip_two_ranks_two_attempts) {
    char dir[600];
    rb_run_dir("journal-round-trip", dir, sizeof dir);
    int attempts = -1;
    RB_EXPECT_OK(rb_journal_attempts(dir, &attempts));
    RB_EXPECT_INT(attempts, 0);
    double *recs = NULL;
    int count = -1;
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &count)); /* no journal yet: nothing, no error */
    RB_EXPECT_INT(count, 0);
    free(recs);

    const int rank0[] = {0, 2, 4}, rank1[] = {1, 3}, retry[] = {2};
    rb_append_cells(dir, 0, 0, rank0, 3);
    rb_append_cells(dir, 0, 1, rank1, 2);
    RB_EXPECT_OK(rb_journal_attempts(dir, &attempts));
    RB_EXPECT_INT(attempts, 1);
    rb_append_cells(dir, 1, 0, retry, 1); /* a resumed attempt recomputes cell 2 */
    RB_EXPECT_OK(rb_journal_attempts(dir, &attempts));
    RB_EXPECT_INT(attempts, 2);

    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &count));
    char order[128];
    rb_loaded_cells(recs, count, order, sizeof order);
    RB_EXPECT_MSG(strcmp(order, "0,2,4,1,3,2") == 0, "load order %s, expected 0,2,4,1,3,2 (file name, then record)",
                  order);
    /* keyed by cell index, the later record wins (as bench --resume restores them) */
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
    RB_EXPECT(stat(path, &st) == 0 && st.st_size == 3 * REC_BYTES);

    /* rank 0's last record torn by a kill mid-write; a payload byte of rank 1's second record
     * flipped (its checksum fails, and the record after it is not trusted either) */
    RB_EXPECT(truncate(path, 3 * REC_BYTES - 5) == 0);
    rb_journal_path(dir, 0, 1, path, sizeof path);
    rb_flip_byte(path, REC_BYTES + 8 + 8 * 2);
    /* a foreign file in the journal directory is not a journal file */
    char other[700];
    snprintf(other, sizeof other, "%s/journal/notes.txt", dir);
    FILE *f = fopen(other, "w");
    if (f) {
        fputs("not a journal\n", f);
        fclose(f);
    }
    double *recs = NULL;
    int count = -1;
    char order[128];
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &count));
    rb_loaded_cells(recs, count, order, sizeof order);
    RB_EXPECT_MSG(strcmp(order, "0,1,3,6,7") == 0, "loaded %s, expected 0,1,3,6,7", order);
    for (int r = 0; recs && r < count; r++) {
        double want[REC_LEN];
        rb_record((int)recs[(size_t)r * REC_LEN], 0, want);
        RB_EXPECT_MSG(memcmp(recs + (size_t)r * REC_LEN, want, sizeof want) == 0, "record %d changed", r);
    }
    free(recs);

    /* a damaged record header: wrong magic in rank 2's first record hides that whole file */
    rb_journal_path(dir, 0, 2, path, sizeof path);
    rb_flip_byte(path, 0);
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN, &recs, &count));
    rb_loaded_cells(recs, count, order, sizeof order);
    RB_EXPECT_MSG(strcmp(order, "0,1,3") == 0, "loaded %s, expected 0,1,3", order);
    free(recs);

    /* records of another length (a run with other methods or replicas) are never read as these */
    RB_EXPECT_OK(rb_journal_load(dir, REC_LEN + 1, &recs, &count));
    RB_EXPECT_INT(count, 0);
    free(recs);
}
