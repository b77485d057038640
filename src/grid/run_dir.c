/* run_dir.c - the run directory of a grid run (<run>/ = results/<run-id>, docs/run-directory.md):
 * claimed before any work (an absent or empty directory for a new run; the exclusive lock
 * run.lock, held by rank 0 until the process ends; a resumed run's identity compared with its
 * manifest), then log.txt opened, manifest.txt written by the first attempt (or compared, inputs
 * included, by a resume), the attempt number taken from the journal, and the records earlier
 * attempts committed restored by cell key after checking the identity each carries. Rank 0 does the
 * file work; every rank agrees on the outcome before the next collective step. */
#include "rb_core.h"
#include "rb_io.h"
#include "grid_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int rb_lock_fd = -1;      /* rank 0: the open, locked <run>/run.lock (closed by process exit) */
static char rb_claimed[4096];    /* the run directory this process claimed, on every rank */

void rb_grid_cell_key(const rb_grid *g, int idx, char *buf, size_t cap) {
    const rb_cell *c = &g->cells[idx];
    snprintf(buf, cap, "%.127s/%.159s/%d", g->specs[c->dataset].name, c->label, c->severity);
}

/* ---------- the identity of this job ---------- */

/* Everything of the manifest that is known before the inputs are built: version, commit, config
 * digest, shard, --save-scores and the cell keys (plan without snippet counts). */
static int rb_job_identity(const rb_config *cfg, const rb_dataset_spec *specs, int n_specs,
                           const rb_grid_options *opt, rb_manifest *m) {
    memset(m, 0, sizeof *m);
    snprintf(m->version, sizeof m->version, "%s", rb_robusta_version());
    snprintf(m->commit, sizeof m->commit, "%s", rb_robusta_commit());
    rb_sha256_text(rb_config_text(cfg), m->config_digest);
    snprintf(m->datasets, sizeof m->datasets, "%s", opt->datasets ? opt->datasets : "all");
    m->save_scores = opt->save_scores != 0;
    int *selected = rb_calloc((size_t)n_specs, sizeof *selected, "dataset selection");
    if (!selected) return RB_ERR;
    rb_cell *cells = NULL;
    int n = 0;
    int rc = rb_grid_select_datasets(specs, n_specs, opt->datasets, selected);
    if (rc == RB_OK) rc = rb_grid_plan_selected(cfg, n_specs, NULL, selected, &cells, &n);
    free(selected);
    if (rc != RB_OK) return rc;
    m->cells = rb_calloc((size_t)(n ? n : 1), sizeof *m->cells, "cell keys");
    for (int i = 0; m->cells && i < n; i++) {
        char key[512];
        snprintf(key, sizeof key, "%.127s/%.159s/%d", specs[cells[i].dataset].name, cells[i].label, cells[i].severity);
        if (!(m->cells[i] = rb_strdup(key, "cell key"))) break;
        m->n_cells = i + 1;
    }
    free(cells);
    if (m->n_cells != n) {
        rb_manifest_free(m);
        return RB_ERR;
    }
    return RB_OK;
}

/* ---------- claiming the directory (rank 0) ---------- */

/* Whether an entry may be in a run directory before its manifest is written: the lock and the
 * journal and scores folders (a run that stopped before its manifest). */
static int rb_before_manifest(const char *entry, int is_dir) {
    return (!is_dir && (!strcmp(entry, "run.lock") || !strcmp(entry, "manifest.txt"))) ||
           (is_dir && (!strcmp(entry, "journal") || !strcmp(entry, "scores")));
}

/* Whether dir exists (a directory), and its entries robusta does not own (strict: that a run
 * directory without a manifest does not hold): how many, and the first. */
static int rb_scan_run_dir(const char *dir, int strict, int *exists, char *foreign, size_t cap, int *n_foreign) {
    *exists = 0;
    *n_foreign = 0;
    foreign[0] = '\0';
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT) return RB_OK;
        return rb_fail("run directory %s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) return rb_fail("run directory %s exists and is not a directory", dir);
    *exists = 1;
    DIR *d = opendir(dir);
    if (!d) return rb_fail("cannot list run directory %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat es;
        int is_dir = lstat(path, &es) == 0 && S_ISDIR(es.st_mode);
        if (strict ? rb_before_manifest(e->d_name, is_dir) : rb_run_owns(e->d_name, is_dir)) continue;
        if (!(*n_foreign)++) snprintf(foreign, cap, "%s%s", e->d_name, is_dir ? "/" : "");
    }
    closedir(d);
    return RB_OK;
}

/* Take <dir>/run.lock; a lock another process holds is an error naming it. */
static int rb_lock_run_dir(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/run.lock", dir);
    if (rb_lock_fd >= 0) close(rb_lock_fd); /* an earlier run of this process (audit --rerun) */
    rb_lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (rb_lock_fd < 0) return rb_fail("cannot open the run lock %s: %s", path, strerror(errno));
    if (flock(rb_lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char holder[256] = "";
        ssize_t got = pread(rb_lock_fd, holder, sizeof holder - 1, 0);
        holder[got > 0 ? got : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(rb_lock_fd);
        rb_lock_fd = -1;
        if (err == EWOULDBLOCK)
            return rb_fail("run directory %s is in use by another robusta job (%s; lock %s); wait for it to end "
                           "or use another run directory",
                           dir, holder[0] ? holder : "holder unknown", path);
        return rb_fail("cannot lock %s: %s", path, strerror(err));
    }
    char host[200] = "unknown", line[320];
    gethostname(host, sizeof host - 1);
    int n = snprintf(line, sizeof line, "pid %ld on %s\n", (long)getpid(), host);
    if (ftruncate(rb_lock_fd, 0) != 0 || pwrite(rb_lock_fd, line, (size_t)n, 0) != n)
        return rb_fail("cannot write the run lock %s: %s", path, strerror(errno));
    return RB_OK;
}

/* A run directory whose run committed no cell: its manifest and empty journal go, so that a config
 * error found before the first cell never blocks a rerun. */
static int rb_reset_unstarted(const char *dir, const char *why) {
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    if (unlink(path) != 0 && errno != ENOENT) return rb_fail("cannot remove %s: %s", path, strerror(errno));
    RB_TRY(rb_journal_remove(dir));
    rb_log("run directory %s held a run that committed no cell (%s): starting it afresh", dir, why);
    return RB_OK;
}

/* Whether another job holds <dir>/run.lock, before anything else is looked at (so that a directory
 * in use is reported as such, whatever it holds at that moment). Opens an existing lock file only:
 * nothing is created here. */
static int rb_check_not_in_use(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/run.lock", dir);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return RB_OK; /* no lock file (or not a regular one): rb_lock_run_dir decides */
    int rc = RB_OK;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        char holder[256] = "";
        ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
        holder[got > 0 ? got : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        rc = rb_fail("run directory %s is in use by another robusta job (%s; lock %s); wait for it to end "
                     "or use another run directory",
                     dir, holder[0] ? holder : "holder unknown", path);
    }
    close(fd); /* releases the probe's lock, if it got it */
    return rc;
}

/* The folders a run writes into must be real directories: a symbolic link planted at journal/,
 * scores/ or plots/ of an existing run directory would send its files elsewhere. */
static int rb_check_run_subdirs(const char *dir) {
    static const char *const sub[3] = {"journal", "scores", "plots"};
    for (int i = 0; i < 3; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, sub[i]);
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        if (S_ISLNK(st.st_mode))
            return rb_fail("run directory %s: %s is a symbolic link, not a directory: robusta writes only into real "
                           "directories (remove the link)", dir, sub[i]);
        if (!S_ISDIR(st.st_mode)) return rb_fail("run directory %s: %s is not a directory", dir, sub[i]);
    }
    return RB_OK;
}

static int rb_claim_rank0(const char *dir, const rb_manifest *now, int resume) {
    if (rb_lock_fd >= 0) { /* an earlier run of this process (audit --rerun): its lock is released */
        close(rb_lock_fd);
        rb_lock_fd = -1;
    }
    RB_TRY(rb_check_not_in_use(dir));
    RB_TRY(rb_check_run_subdirs(dir));
    int exists, n_foreign;
    char foreign[300], mpath[4200], rpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.txt", dir);
    snprintf(rpath, sizeof rpath, "%s/results.h5", dir);
    struct stat st;
    int has_manifest = lstat(mpath, &st) == 0;
    int has_journal = 0, committed = 0;
    if (!has_manifest) { /* a journal whose manifest is gone: the run cannot be identified */
        RB_TRY(rb_journal_exists(dir, &has_journal));
        if (has_journal) RB_TRY(rb_journal_count(dir, &committed));
        if (committed)
            return rb_fail("run directory %s holds %d committed cells in journal/ but no manifest.txt: the run "
                           "cannot be identified, so it cannot be resumed or overwritten; start a new run (another "
                           "--out or run.id)",
                           dir, committed);
    }
    /* without a manifest, files of robusta's names (summary.md, results.h5 ...) are not a run's */
    RB_TRY(rb_scan_run_dir(dir, !has_manifest, &exists, foreign, sizeof foreign, &n_foreign));
    if (n_foreign && (!resume || !has_manifest))
        return rb_fail("run directory %s is not empty (it holds %s%s); a new run needs an empty or absent "
                       "directory: choose another --out or run.id",
                       dir, foreign, n_foreign > 1 ? " and more" : "");
    if (!exists) RB_TRY(rb_mkdir_p(dir));
    RB_TRY(rb_lock_run_dir(dir));
    /* under the lock: what the directory holds */
    has_manifest = lstat(mpath, &st) == 0;
    int has_results = lstat(rpath, &st) == 0;
    RB_TRY(rb_journal_exists(dir, &has_journal));
    if (has_journal) RB_TRY(rb_journal_count(dir, &committed));
    if (!has_manifest) {
        if (committed || has_results)
            return rb_fail("run directory %s holds %s but no manifest.txt: the run cannot be identified, so it "
                           "cannot be resumed or overwritten; start a new run (another --out or run.id)",
                           dir, committed ? "committed cells in journal/" : "results.h5");
        return has_journal ? rb_journal_remove(dir) : RB_OK;
    }
    if (!resume) {
        if (committed || has_results)
            return rb_fail("run directory %s already holds a run (%d cells committed%s); use --resume to continue "
                           "it, or another run id",
                           dir, committed, has_results ? ", results.h5 written" : "");
        return rb_reset_unstarted(dir, "a new run was asked for");
    }
    char *text = NULL;
    RB_TRY(rb_read_file(mpath, &text));
    rb_manifest run;
    int rc = rb_manifest_parse(mpath, text, &run);
    free(text);
    if (rc == RB_OK) {
        rc = rb_manifest_compare(mpath, &run, now, 0);
        rb_manifest_free(&run);
    }
    if (rc != RB_OK && !committed && !has_results) return rb_reset_unstarted(dir, rb_error_message());
    return rc;
}

int rb_grid_claim_run_dir(const rb_config *cfg, const rb_dataset_spec *specs, int n_specs,
                          const rb_grid_options *opt, MPI_Comm comm) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    int rc = RB_OK;
    if (rank == 0) {
        rb_manifest now;
        rc = rb_job_identity(cfg, specs, n_specs, opt, &now);
        if (rc == RB_OK) {
            rc = rb_claim_rank0(opt->run_dir, &now, opt->resume);
            rb_manifest_free(&now);
        }
    }
    RB_TRY(rb_mpi_agree(rc, &comm)); /* every rank learns rank 0's outcome before going on */
    snprintf(rb_claimed, sizeof rb_claimed, "%s", opt->run_dir);
    return RB_OK;
}

int rb_grid_make_run_dir(const rb_grid *g) {
    if (strcmp(rb_claimed, g->opt->run_dir) != 0)
        RB_TRY(rb_grid_claim_run_dir(g->cfg, g->specs, g->n_specs, g->opt, g->comm));
    int rc = RB_OK;
    if (g->rank == 0 && g->opt->save_scores) {
        char sdir[4200];
        snprintf(sdir, sizeof sdir, "%s/scores", g->opt->run_dir);
        rc = rb_mkdir_real(sdir);
    }
    return rb_mpi_agree(rc, &g->comm);
}

/* ---------- opening the run ---------- */

/* Rank 0: the input files of this job (the selected datasets, then the models loaded) with their
 * SHA-256, into g->inputs / g->shas. */
static int rb_checksum_inputs(rb_grid *g) {
    int n = 0;
    g->inputs = rb_calloc((size_t)(2 * g->n_specs), sizeof *g->inputs, "inputs");
    g->shas = rb_calloc((size_t)(2 * g->n_specs), sizeof *g->shas, "input checksums");
    if (!g->inputs || !g->shas) return RB_ERR;
    for (int d = 0; d < g->n_specs; d++)
        for (int which = 0; which < 2; which++) {
            if (which == 0 && !g->selected[d]) continue;
            if (which == 1 && !g->model_loaded[d]) continue;
            const char *p = which == 0 ? g->specs[d].path : g->specs[d].model_path;
            char sha[65];
            RB_TRY(rb_sha256_file(p, sha));
            g->inputs[n] = rb_strdup(p, "input");
            g->shas[n] = rb_strdup(sha, "checksum");
            n++;
        }
    g->n_inputs = n;
    return RB_OK;
}

/* The full identity of this job: rb_job_identity plus the inputs. */
static int rb_grid_manifest(const rb_grid *g, rb_manifest *m) {
    RB_TRY(rb_job_identity(g->cfg, g->specs, g->n_specs, g->opt, m));
    rb_inputs_digest(g->shas, g->inputs, g->n_inputs, m->inputs_digest);
    m->inputs = rb_calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *m->inputs, "input lines");
    for (int i = 0; m->inputs && i < g->n_inputs; i++) {
        size_t len = strlen(g->shas[i]) + strlen(g->inputs[i]) + 3;
        if (!(m->inputs[i] = rb_malloc(len, "input line"))) break;
        snprintf(m->inputs[i], len, "%s  %s", g->shas[i], g->inputs[i]);
        m->n_inputs = i + 1;
    }
    if (m->n_inputs != g->n_inputs) {
        rb_manifest_free(m);
        return RB_ERR;
    }
    return RB_OK;
}

/* Rank 0: input checksums, manifest written or compared, and the attempt number. */
static int rb_grid_prepare_dir(rb_grid *g) {
    const char *dir = g->opt->run_dir;
    char path[4200];
    RB_TRY(rb_checksum_inputs(g));
    rb_manifest now;
    RB_TRY(rb_grid_manifest(g, &now));
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    char *old = NULL;
    int rc = RB_OK;
    struct stat st;
    if (lstat(path, &st) == 0) { /* a resumed run (rb_grid_claim_run_dir compared all but the inputs) */
        rc = rb_read_file(path, &old);
        rb_manifest run;
        if (rc == RB_OK && (rc = rb_manifest_parse(path, old, &run)) == RB_OK) {
            rc = rb_manifest_compare(path, &run, &now, 1);
            rb_manifest_free(&run);
        }
        int committed = 0;
        if (rc != RB_OK && rb_journal_count(dir, &committed) == RB_OK && committed == 0) {
            rb_log("run directory %s committed no cell yet (%s): its manifest is written afresh", dir,
                   rb_error_message());
            rc = rb_journal_remove(dir);
            free(old);
            old = NULL;
        }
    }
    if (rc == RB_OK && !old) {
        char *text = rb_manifest_format(&now, rb_config_text(g->cfg));
        rc = text ? rb_write_file_atomic(path, text) : RB_ERR;
        free(text);
    }
    free(old);
    rb_manifest_free(&now);
    if (rc == RB_OK) rc = rb_journal_attempts(dir, &g->attempt);
    return rc;
}

/* Every rank other than 0 receives the attempt number and the input list rank 0 decided. */
static void rb_grid_share_inputs(rb_grid *g) {
    MPI_Bcast(&g->attempt, 1, MPI_INT, 0, g->comm);
    MPI_Bcast(&g->n_inputs, 1, MPI_INT, 0, g->comm);
    int n = g->n_inputs;
    if (g->rank != 0) {
        g->inputs = rb_calloc((size_t)(n ? n : 1), sizeof *g->inputs, "inputs");
        g->shas = rb_calloc((size_t)(n ? n : 1), sizeof *g->shas, "checksums");
        for (int i = 0; i < n; i++) {
            g->inputs[i] = rb_calloc(4096, 1, "input");
            g->shas[i] = rb_calloc(65, 1, "checksum");
        }
    }
    for (int i = 0; i < n; i++) {
        char buf[4096] = "";
        if (g->rank == 0) snprintf(buf, sizeof buf, "%s", g->inputs[i]);
        MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, g->comm);
        if (g->rank != 0) memcpy(g->inputs[i], buf, sizeof buf);
        char sbuf[65] = "";
        if (g->rank == 0) memcpy(sbuf, g->shas[i], 65);
        MPI_Bcast(sbuf, 65, MPI_CHAR, 0, g->comm);
        if (g->rank != 0) memcpy(g->shas[i], sbuf, 65);
    }
}

int rb_grid_open_run(rb_grid *g) {
    int rc = RB_OK;
    if (g->rank == 0) {
        char lpath[4200];
        snprintf(lpath, sizeof lpath, "%s/log.txt", g->opt->run_dir);
        /* appended to, never through a symbolic link planted at its name */
        int fd = open(lpath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno == ELOOP) rc = rb_fail("%s is a symbolic link: the run log is never written through one", lpath);
        g->log = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (fd >= 0 && !g->log) close(fd);
        if (rc == RB_OK) rc = rb_grid_prepare_dir(g);
    }
    RB_TRY(rb_mpi_agree(rc, &g->comm));
    rb_grid_share_inputs(g);
    memset(&g->ident, 0, sizeof g->ident);
    snprintf(g->ident.version, sizeof g->ident.version, "%s", rb_robusta_version());
    snprintf(g->ident.commit, sizeof g->ident.commit, "%s", rb_robusta_commit());
    rb_sha256_text(rb_config_text(g->cfg), g->ident.config_digest);
    rb_inputs_digest(g->shas, g->inputs, g->n_inputs, g->ident.inputs_digest);
    return RB_OK;
}

/* ---------- journal records ---------- */

int rb_grid_journal_append(const rb_grid *g, rb_journal *j, int idx, const double *rec) {
    rb_journal_tag tag = g->ident;
    rb_grid_cell_key(g, idx, tag.key, sizeof tag.key);
    return rb_journal_append(j, &tag, rec, g->rec_len);
}

/* The cell a restored record belongs to, after checking that this run's identity made it. */
static int rb_record_cell(const rb_grid *g, const rb_journal_tag *t, int *idx) {
    const char *dir = g->opt->run_dir;
    const rb_journal_tag *me = &g->ident;
    if (strcmp(t->version, me->version) != 0)
        return rb_fail("%s/journal: the record of cell %s was computed by robusta %s, this binary is %s; resume "
                       "with the binary that started the run, or start a new run",
                       dir, t->key, t->version, me->version);
    if (strcmp(t->commit, me->commit) != 0)
        return rb_fail("%s/journal: the record of cell %s was computed by commit %s, this binary is %s; resume "
                       "with the binary that started the run, or start a new run",
                       dir, t->key, t->commit, me->commit);
    if (strcmp(t->config_digest, me->config_digest) != 0)
        return rb_fail("%s/journal: config digest of the record of cell %s differs from this run's (%.12s.. vs "
                       "%.12s..); start a new run",
                       dir, t->key, t->config_digest, me->config_digest);
    if (strcmp(t->inputs_digest, me->inputs_digest) != 0)
        return rb_fail("%s/journal: inputs digest of the record of cell %s differs from this run's (%.12s.. vs "
                       "%.12s..); start a new run",
                       dir, t->key, t->inputs_digest, me->inputs_digest);
    for (int i = 0; i < g->n_cells; i++) {
        char key[sizeof t->key];
        rb_grid_cell_key(g, i, key, sizeof key);
        if (strcmp(key, t->key) == 0) {
            *idx = i;
            return RB_OK;
        }
    }
    return rb_fail("%s/journal: a record names cell %s, which is not a cell of this run; start a new run", dir,
                   t->key);
}

int rb_grid_restore(rb_grid *g) {
    double *recs = NULL;
    rb_journal_tag *tags = NULL;
    int count = 0;
    int rc = rb_journal_load(g->opt->run_dir, g->rec_len, &recs, &tags, &count);
    for (int j = 0; rc == RB_OK && j < count; j++) {
        int idx;
        rc = rb_record_cell(g, &tags[j], &idx);
        if (rc != RB_OK) break;
        double *rec = recs + (size_t)j * g->rec_len;
        rec[RB_REC_CELL] = idx;
        memcpy(g->records + (size_t)idx * g->rec_len, rec, sizeof(double) * (size_t)g->rec_len);
        g->have[idx] = 1;
    }
    free(recs);
    free(tags);
    RB_TRY(rb_mpi_agree(rc, &g->comm)); /* every rank read the same journal: the same outcome */
    int restored = 0;
    for (int i = 0; i < g->n_cells; i++) restored += g->have[i];
    rb_grid_log(g, "resume: %d of %d cells already committed in %s", restored, g->n_cells, g->opt->run_dir);
    return RB_OK;
}
