/* train_all.c - trains the models of a dataset as cost-balanced jobs over MPI ranks (rb_model.h):
 * detector replicas and the per-modality GMM fits, planned by cost, run by their owners (or by the
 * whole team when ranks outnumber detectors), and gathered on rank 0. Rank 0 prints one progress
 * counter over the jobs (rb_stage_progress, the ETA from their cost estimates): the other ranks send it
 * {job, seconds} as each of their jobs ends. Per-epoch lines: epoch 1, every 10th and the last only
 * (the full per-epoch log is in model.h5, docs/training.md). */
#include "rb_model.h"
#include "rb_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RB_JOB_DETECTOR = 0, RB_JOB_GMM = 1 };
enum { RB_TAG_TRAIN_PROGRESS = 32000 }; /* above any job index (the gather's tags); MPI_TAG_UB >= 32767 */

typedef struct {
    int type;
    int slot, replica; /* detector jobs */
    int modality;      /* GMM jobs */
    double cost;
    int owner;
} rb_job;

static const char *rb_modality_label[2] = {"visual", "audio"};

/* Longest-processing-time-first assignment: deterministic given costs and rank count. */
static void rb_assign_jobs(rb_job *jobs, int n, int ranks) {
    int *order = malloc(sizeof *order * (size_t)n);
    double *load = calloc((size_t)ranks, sizeof *load);
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort by cost desc, index asc */
        for (int j = i; j > 0 && jobs[order[j]].cost > jobs[order[j - 1]].cost; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int r = 1; r < ranks; r++)
            if (load[r] < load[best]) best = r;
        jobs[order[i]].owner = best;
        load[best] += jobs[order[i]].cost;
    }
    free(order);
    free(load);
}

static double rb_detector_cost(rb_detector_kind kind, const rb_dataset *d, const rb_train_params *p) {
    double rows = 0;
    for (int64_t v = 0; v < d->train.n_videos; v++) {
        int64_t t = rb_split_video_len(&d->train, v);
        rows += (double)(t < p->max_snippets ? t : p->max_snippets);
    }
    rows *= d->train.n_crops;
    double dv = d->train.d_visual, da = d->train.d_audio;
    double din = kind == RB_DET_CONCAT ? dv + da : kind == RB_DET_AUDIO ? da : dv;
    double per_row = din * p->hidden1 + (double)p->hidden1 * p->hidden2 + p->hidden2;
    if (kind == RB_DET_SHARED) per_row += 0.5 * da * dv;
    if (p->arch == RB_ARCH_HLNET) { /* head layers, plus the T x T graph products and Gram matrix per row */
        double h = p->hidden2, g = RB_HLNET_GRAPH, mean_t = rows / ((double)d->train.n_videos * d->train.n_crops);
        per_row += h * 3 * g * (1 + RB_HLNET_KERNEL) + 3 * g * g + 3 * g + h * RB_HLNET_ON1 +
                   RB_HLNET_ON1 * RB_HLNET_ON2 + RB_HLNET_KERNEL * RB_HLNET_ON2 + mean_t * (2 * 3 * g + din);
    }
    return 6.0 * per_row * rows * p->epochs;
}

/* Fit the GMM of one modality on the non-held-out train videos and calibrate its weights on the
 * held-out ones. */
static int rb_fit_modality(const rb_dataset *data, int mod, const rb_gmm_params *gp_in, double holdout_fraction,
                           const rb_weight_params *wp, rb_gmm *g, rb_weight_calib *calib) {
    const rb_split *s = &data->train;
    rb_gmm_params gp = *gp_in;
    gp.stream_id = (uint32_t)mod;
    int crops = mod == 0 ? s->n_crops : 1;
    int d = mod == 0 ? s->d_visual : s->d_audio;
    const float *x = mod == 0 ? s->visual : s->audio;
    uint8_t *holdout = rb_calloc((size_t)s->n_videos, 1, "holdout mask");
    int64_t *fit_rows = NULL, *cal_rows = NULL, *fit_off = NULL, *cal_off = NULL, n_fit = 0, n_cal = 0, v_fit = 0, v_cal = 0;
    double *nll = NULL;
    int rc = holdout ? RB_OK : RB_ERR;
    if (rc == RB_OK) rc = rb_weight_holdout_videos(s->n_videos, holdout_fraction, gp.seed, (uint32_t)mod, holdout);
    if (rc == RB_OK) rc = rb_weight_select_rows(s->offsets, s->n_videos, holdout, 0, crops, &fit_rows, &n_fit, &fit_off, &v_fit);
    if (rc == RB_OK) rc = rb_weight_select_rows(s->offsets, s->n_videos, holdout, 1, crops, &cal_rows, &n_cal, &cal_off, &v_cal);
    if (rc == RB_OK) rc = rb_gmm_fit_rows(g, x, d, d, fit_rows, n_fit, &gp);
    if (rc == RB_OK) {
        nll = rb_malloc(sizeof *nll * (size_t)n_cal, "calibration NLL");
        rc = nll ? rb_gmm_nll_rows(g, x, d, cal_rows, n_cal, nll) : RB_ERR;
    }
    if (rc == RB_OK) rc = rb_weight_calibrate_nll(calib, nll, n_cal / crops, crops, cal_off, v_cal, wp);
    free(holdout);
    free(fit_rows);
    free(cal_rows);
    free(fit_off);
    free(cal_off);
    free(nll);
    if (rc != RB_OK) return rb_context("%s GMM", rb_modality_label[mod]);
    return RB_OK;
}

/* ---- moving results to rank 0 ---- */

static int rb_log_alloc(rb_train_log *log, int epochs) {
    memset(log, 0, sizeof *log);
    log->n_epochs = epochs;
    log->loss = rb_calloc((size_t)epochs, sizeof(double), "log");
    log->visual_fraction = rb_calloc((size_t)epochs, sizeof(double), "log");
    log->snippets_per_s = rb_calloc((size_t)epochs, sizeof(double), "log");
    log->lr = rb_calloc((size_t)epochs, sizeof(double), "log");
    return log->loss && log->visual_fraction && log->snippets_per_s && log->lr ? RB_OK : RB_ERR;
}

static void rb_send_detector(const rb_detector *d, const rb_train_log *log, int tag, MPI_Comm comm) {
    MPI_Send(d->params, (int)d->n_params, MPI_FLOAT, 0, tag, comm);
    int e = log->n_epochs;
    double *buf = malloc(sizeof(double) * (size_t)(4 * e + 1));
    memcpy(buf, log->loss, sizeof(double) * (size_t)e);
    memcpy(buf + e, log->visual_fraction, sizeof(double) * (size_t)e);
    memcpy(buf + 2 * e, log->snippets_per_s, sizeof(double) * (size_t)e);
    memcpy(buf + 3 * e, log->lr, sizeof(double) * (size_t)e);
    buf[4 * e] = log->seconds;
    MPI_Send(buf, 4 * e + 1, MPI_DOUBLE, 0, tag, comm);
    free(buf);
}

/* Rank 0 receives a detector's parameters and log into d and log, prepared by rb_prepare_recv (buf:
 * 4 * epochs + 1 doubles of scratch). Allocates nothing, so it cannot fail halfway through the
 * owner's sends. */
static void rb_recv_detector(rb_detector *d, rb_train_log *log, double *buf, int epochs, int from, int tag,
                             MPI_Comm comm) {
    MPI_Recv(d->params, (int)d->n_params, MPI_FLOAT, from, tag, comm, MPI_STATUS_IGNORE);
    MPI_Recv(buf, 4 * epochs + 1, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    memcpy(log->loss, buf, sizeof(double) * (size_t)epochs);
    memcpy(log->visual_fraction, buf + epochs, sizeof(double) * (size_t)epochs);
    memcpy(log->snippets_per_s, buf + 2 * epochs, sizeof(double) * (size_t)epochs);
    memcpy(log->lr, buf + 3 * epochs, sizeof(double) * (size_t)epochs);
    log->seconds = buf[4 * epochs];
}

static size_t rb_gmm_cov_len(const rb_gmm *g) { return (size_t)g->k * g->d * (g->full ? (size_t)g->d : 1); }

static void rb_send_gmm(const rb_gmm *g, const rb_weight_calib *calib, int tag, MPI_Comm comm) {
    double head[6] = {g->iterations, g->converged, (double)g->n_fit, g->n_trace, g->mean_loglik, 0};
    MPI_Send(head, 6, MPI_DOUBLE, 0, tag, comm);
    MPI_Send(g->weights, g->k, MPI_DOUBLE, 0, tag, comm);
    MPI_Send(g->means, g->k * g->d, MPI_DOUBLE, 0, tag, comm);
    MPI_Send(g->cov, (int)rb_gmm_cov_len(g), MPI_DOUBLE, 0, tag, comm);
    MPI_Send(g->var_floor, g->d, MPI_DOUBLE, 0, tag, comm);
    MPI_Send(g->loglik_trace, g->n_trace, MPI_DOUBLE, 0, tag, comm);
    MPI_Send(calib, RB_WEIGHT_CALIB_NFIELDS, MPI_DOUBLE, 0, tag, comm);
}

/* Rank 0 receives a GMM and its calibration into g (allocated by rb_prepare_recv, its trace with
 * room for max_iter + 1 entries, the most a fit records). Allocates nothing. */
static void rb_recv_gmm(rb_gmm *g, rb_weight_calib *calib, int from, int tag, MPI_Comm comm) {
    double head[6];
    MPI_Recv(head, 6, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    g->iterations = (int)head[0];
    g->converged = (int)head[1];
    g->n_fit = (int64_t)head[2];
    g->n_trace = (int)head[3];
    g->mean_loglik = head[4];
    MPI_Recv(g->weights, g->k, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    MPI_Recv(g->means, g->k * g->d, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    MPI_Recv(g->cov, (int)rb_gmm_cov_len(g), MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    MPI_Recv(g->var_floor, g->d, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    MPI_Recv(g->loglik_trace, g->n_trace, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
    MPI_Recv(calib, RB_WEIGHT_CALIB_NFIELDS, MPI_DOUBLE, from, tag, comm, MPI_STATUS_IGNORE);
}

static void rb_print_training(const char *dataset, const rb_detector *d, int replica, const rb_train_log *log) {
    for (int e = 0; e < log->n_epochs; e++) {
        if (e != 0 && (e + 1) % 10 != 0 && e != log->n_epochs - 1) continue; /* epoch 1, every 10th, the last */
        char frac[48] = "";
        if (!isnan(log->visual_fraction[e])) snprintf(frac, sizeof frac, "  visual bags %.3f", log->visual_fraction[e]);
        rb_log("train %s %s#%d epoch %d/%d  loss %.5f%s  lr %.3g  %.0f snippets/s", dataset,
               rb_detector_kind_name(d->kind), replica, e + 1, log->n_epochs, log->loss[e], frac, log->lr[e],
               log->snippets_per_s[e]);
    }
}

/* ---- the build: parameters, jobs, running them, gathering their results ---- */

/* The parameters the jobs of a build read. */
typedef struct {
    rb_train_params tp;
    rb_gmm_params gp;
    rb_weight_params wp;
    double holdout_fraction;
    int replicas; /* train.seeds: replicas of each detector kind */
} rb_build_params;

static int rb_build_params_read(const rb_config *cfg, rb_build_params *bp) {
    RB_TRY(rb_params_train(cfg, &bp->tp));
    RB_TRY(rb_params_gmm(cfg, &bp->gp, &bp->holdout_fraction));
    RB_TRY(rb_params_weights(cfg, &bp->wp));
    RB_TRY(rb_config_int(cfg, "train.seeds", &bp->replicas));
    return RB_OK;
}

/* Fill jobs: one per detector replica, then one GMM fit per modality, each with its cost estimate,
 * assigned to the size ranks. Returns the number of jobs. */
static int rb_plan_jobs(const rb_model *m, const rb_dataset *data, const rb_build_params *bp, int size, rb_job *jobs) {
    const rb_gmm_params *gp = &bp->gp;
    int n_jobs = 0;
    for (int s = 0; s < m->n_kinds; s++)
        for (int r = 0; r < bp->replicas; r++)
            jobs[n_jobs++] = (rb_job){RB_JOB_DETECTOR, s, r, 0, rb_detector_cost(m->kinds[s], data, &bp->tp), 0};
    for (int mod = 0; mod < 2; mod++) {
        double rows = (double)data->train.n_snippets * (mod == 0 ? data->train.n_crops : 1);
        if (rows > (double)gp->max_points && gp->max_points > 0) rows = (double)gp->max_points;
        double dim = mod == 0 ? data->train.d_visual : data->train.d_audio;
        double iters = gp->max_iter < 30 ? gp->max_iter : 30;
        double cost = rows * gp->k * dim * 8.0 * iters * (gp->covariance ? dim : 1);
        jobs[n_jobs++] = (rb_job){RB_JOB_GMM, 0, 0, mod, cost, 0};
    }
    rb_assign_jobs(jobs, n_jobs, size);
    /* more ranks than detector jobs: each detector is trained by all ranks together (its fixed
     * gradient groups dealt over them), one after the other; the GMM fits keep their owners */
    int team_mode = size > m->n_kinds * bp->replicas;
    if (team_mode)
        for (int j = 0; j < n_jobs; j++)
            if (jobs[j].type == RB_JOB_DETECTOR) jobs[j].owner = -1;
    return n_jobs;
}

/* Train one detector replica (alone, or with the whole team when the job has no owner). A team job
 * is collective over comm: the ranks agree on the detector's initialisation before they train, and
 * rb_train_detector agrees on every step of a team (rb_model.h), so a failure leaves every rank at
 * once with the same message. */
static int rb_run_detector_job(rb_model *m, const rb_dataset *data, const char *dataset_name,
                               const rb_build_params *bp, const rb_job *jb, int rank, MPI_Comm comm) {
    rb_train_params p = bp->tp;
    p.replica = (uint32_t)jb->replica;
    p.team = jb->owner == -1 ? comm : MPI_COMM_NULL;
    rb_detector *d = rb_model_detector(m, jb->slot, jb->replica);
    rb_train_log *log = &m->logs[jb->slot * bp->replicas + jb->replica];
    int rc = rb_train_detector_init(d, m->kinds[jb->slot], m->d_visual, m->d_audio, &p);
    if (jb->owner == -1) rc = rb_mpi_agree(rc, &comm);
    if (rc == RB_OK) rc = rb_train_detector(d, &data->train, &p, log);
    if (rc != RB_OK)
        return rb_context("training %s detector %s#%d", dataset_name, rb_detector_kind_name(m->kinds[jb->slot]),
                          jb->replica);
    if (jb->owner != -1 || rank == 0) rb_print_training(dataset_name, d, jb->replica, log);
    return RB_OK;
}

/* Fit the GMM and calibrate the weights of one modality. */
static int rb_run_gmm_job(rb_model *m, const rb_dataset *data, const char *dataset_name, const rb_build_params *bp,
                          const rb_job *jb) {
    double t0 = rb_now();
    if (rb_fit_modality(data, jb->modality, &bp->gp, bp->holdout_fraction, &bp->wp, &m->gmm[jb->modality],
                        &m->calib[jb->modality]) != RB_OK)
        return rb_context("dataset %s", dataset_name);
    const rb_gmm *g = &m->gmm[jb->modality];
    const rb_weight_calib *c = &m->calib[jb->modality];
    rb_log("gmm %s %s: %d components, %d EM iterations (%s), mean log-likelihood %.4f on %lld rows; "
           "weight threshold %.3f, temperature %.3f (%.1f s)",
           dataset_name, rb_modality_label[jb->modality], g->k, g->iterations,
           g->converged ? "converged" : "max_iter", g->mean_loglik, (long long)g->n_fit, c->tau_hi, c->s_hi,
           rb_now() - t0);
    return RB_OK;
}

/* "concat#0", "gmm visual" */
static void rb_job_label(const rb_model *m, const rb_job *jb, char *buf, size_t cap) {
    if (jb->type == RB_JOB_DETECTOR) snprintf(buf, cap, "%s#%d", rb_detector_kind_name(m->kinds[jb->slot]), jb->replica);
    else snprintf(buf, cap, "gmm %s", rb_modality_label[jb->modality]);
}

/* Rank 0: count job j, that took `seconds` on its owner (-1: the whole team), on the progress counter. */
static void rb_job_progress(rb_stage_progress *pr, const rb_model *m, const rb_job *jobs, int j, double seconds) {
    char label[64];
    rb_job_label(m, &jobs[j], label, sizeof label);
    rb_stage_progress_item(pr, jobs[j].cost, seconds, label, jobs[j].owner);
}

/* Rank 0: count the jobs other ranks reported; block: wait for one report. Returns the reports taken. */
static int rb_job_progress_poll(rb_stage_progress *pr, const rb_model *m, const rb_job *jobs, int block, MPI_Comm comm) {
    int taken = 0;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (block) {
            MPI_Probe(MPI_ANY_SOURCE, RB_TAG_TRAIN_PROGRESS, comm, &st);
            flag = 1;
        } else {
            MPI_Iprobe(MPI_ANY_SOURCE, RB_TAG_TRAIN_PROGRESS, comm, &flag, &st);
        }
        if (!flag) return taken;
        double msg[2];
        MPI_Recv(msg, 2, MPI_DOUBLE, st.MPI_SOURCE, RB_TAG_TRAIN_PROGRESS, comm, MPI_STATUS_IGNORE);
        rb_job_progress(pr, m, jobs, (int)msg[0], msg[1]);
        taken++;
        if (block) return taken;
    }
}

/* Run the jobs of this rank and every team job. An owned job is local: its failure stops this rank's
 * jobs and is agreed on after the run (rb_model_build). A team job is collective: every rank agrees
 * on its status so far before it, so no rank enters it alone; a failed team job fails on every rank.
 * Rank 0 counts every job on one progress counter: its own and the team jobs as they end, the others'
 * from their reports (polled between its jobs, then awaited). A rank reports every job it owns, also
 * one it skipped after an error, so rank 0 never waits for a report that will not come. */
static int rb_run_jobs(rb_model *m, const rb_dataset *data, const char *dataset_name, const rb_build_params *bp,
                        const rb_job *jobs, int n_jobs, int rank, int size, MPI_Comm comm) {
    double total_cost = 0;
    int remote = 0, team = 0;
    for (int j = 0; j < n_jobs; j++) {
        total_cost += jobs[j].cost;
        remote += jobs[j].owner > 0;
        team |= jobs[j].owner == -1;
    }
    rb_stage_progress pr;
    /* the ETA follows the owners' schedule; team jobs run one after the other on all ranks */
    rb_stage_progress_start(&pr, "train", "jobs", dataset_name, total_cost, n_jobs, team ? 1 : size, rank == 0);
    if (rank == 0) {
        int *owner = malloc(sizeof *owner * (size_t)n_jobs);
        double *cost = malloc(sizeof *cost * (size_t)n_jobs);
        for (int j = 0; owner && cost && j < n_jobs; j++) {
            owner[j] = jobs[j].owner;
            cost[j] = jobs[j].cost;
        }
        if (owner && cost && rb_stage_progress_schedule(&pr, size, owner, cost, n_jobs) != RB_OK)
            rb_error_clear(); /* without the schedule, the plain estimate */
        free(owner);
        free(cost);
    }
    int rc = RB_OK;
    for (int j = 0; j < n_jobs; j++) {
        const rb_job *jb = &jobs[j];
        if (jb->owner == -1 && rb_mpi_agree(rc, &comm) != RB_OK) rc = RB_ERR; /* the same on every rank */
        if (jb->owner != rank && jb->owner != -1) continue;
        double t0 = rb_now();
        if (rc == RB_OK)
            rc = jb->type == RB_JOB_DETECTOR ? rb_run_detector_job(m, data, dataset_name, bp, jb, rank, comm)
                                             : rb_run_gmm_job(m, data, dataset_name, bp, jb);
        double seconds = rb_now() - t0;
        if (rank == 0) {
            rb_job_progress(&pr, m, jobs, j, seconds);
            remote -= rb_job_progress_poll(&pr, m, jobs, 0, comm);
        } else if (jb->owner == rank) {
            double msg[2] = {j, seconds};
            MPI_Send(msg, 2, MPI_DOUBLE, 0, RB_TAG_TRAIN_PROGRESS, comm);
        }
    }
    if (rank == 0)
        while (remote > 0) remote -= rb_job_progress_poll(&pr, m, jobs, 1, comm);
    rb_stage_progress_free(&pr);
    return rc;
}

/* Rank 0 allocates what it will receive from the owners of other ranks' jobs (before the gather, so
 * that a failed allocation is agreed on before any send, and no owner is left blocked in a send
 * that rank 0 will never receive). *buf: scratch for a detector's log. */
static int rb_prepare_recv(rb_model *m, const rb_build_params *bp, const rb_job *jobs, int n_jobs, double **buf) {
    for (int j = 0; j < n_jobs; j++) {
        const rb_job *jb = &jobs[j];
        if (jb->owner == 0 || jb->owner == -1) continue;
        if (jb->type == RB_JOB_DETECTOR) {
            rb_train_params p = bp->tp;
            p.replica = (uint32_t)jb->replica;
            RB_TRY(rb_train_detector_init(rb_model_detector(m, jb->slot, jb->replica), m->kinds[jb->slot],
                                          m->d_visual, m->d_audio, &p));
            RB_TRY(rb_log_alloc(&m->logs[jb->slot * bp->replicas + jb->replica], bp->tp.epochs));
            if (!*buf && !(*buf = rb_malloc(sizeof(double) * (size_t)(4 * bp->tp.epochs + 1), "log buffer")))
                return RB_ERR;
        } else {
            rb_gmm *g = &m->gmm[jb->modality];
            RB_TRY(rb_gmm_alloc(g, bp->gp.k, jb->modality == 0 ? m->d_visual : m->d_audio, bp->gp.covariance));
            g->loglik_trace = rb_calloc((size_t)bp->gp.max_iter + 1, sizeof(double), "gmm trace");
            if (!g->loglik_trace) return RB_ERR;
        }
    }
    return RB_OK;
}

/* Gather on rank 0 in job order; owners send in the same order, so no send waits on a later one.
 * Called only once every rank agreed that every job succeeded and rank 0's receives are prepared. */
static void rb_gather_jobs(rb_model *m, const rb_build_params *bp, const rb_job *jobs, int n_jobs, int rank,
                           double *buf, MPI_Comm comm) {
    for (int j = 0; j < n_jobs; j++) {
        const rb_job *jb = &jobs[j];
        if (jb->owner == 0 || jb->owner == -1) continue; /* team jobs end identical on every rank */
        int slot = jb->slot * bp->replicas + jb->replica;
        if (rank == jb->owner) {
            if (jb->type == RB_JOB_DETECTOR)
                rb_send_detector(rb_model_detector(m, jb->slot, jb->replica), &m->logs[slot], j, comm);
            else
                rb_send_gmm(&m->gmm[jb->modality], &m->calib[jb->modality], j, comm);
        } else if (rank == 0) {
            if (jb->type == RB_JOB_DETECTOR)
                rb_recv_detector(rb_model_detector(m, jb->slot, jb->replica), &m->logs[slot], buf, bp->tp.epochs,
                                 jb->owner, j, comm);
            else
                rb_recv_gmm(&m->gmm[jb->modality], &m->calib[jb->modality], jb->owner, j, comm);
        }
    }
}

int rb_model_build(const rb_config *cfg, const rb_dataset *data, const char *dataset_name, const char *recipe,
                   MPI_Comm comm, rb_model *m) {
    memset(m, 0, sizeof *m);
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    rb_build_params bp;
    RB_TRY(rb_build_params_read(cfg, &bp));
    if (data->train.n_videos < 2) return rb_fail("dataset %s: training needs at least 2 train videos", dataset_name);
    m->d_visual = data->train.d_visual;
    m->d_audio = data->train.d_audio;
    m->n_crops = data->train.n_crops;
    m->n_replicas = bp.replicas;
    RB_TRY(rb_params_detectors(cfg, m->kinds, &m->n_kinds));
    m->dataset = rb_strdup(dataset_name, "dataset name");
    m->recipe = rb_strdup(recipe, "recipe");
    int n_det = m->n_kinds * bp.replicas;
    m->det = rb_calloc((size_t)n_det, sizeof *m->det, "detectors");
    m->logs = rb_calloc((size_t)n_det, sizeof *m->logs, "training logs");
    rb_job *jobs = rb_calloc((size_t)n_det + 2, sizeof *jobs, "jobs");
    /* the ranks agree before the jobs: a team job is collective */
    if (rb_mpi_agree(m->dataset && m->recipe && m->det && m->logs && jobs ? RB_OK : RB_ERR, &comm) != RB_OK) {
        free(jobs);
        rb_model_free(m);
        return RB_ERR;
    }
    int n_jobs = rb_plan_jobs(m, data, &bp, size, jobs);
    double *buf = NULL;
    int rc = rb_run_jobs(m, data, dataset_name, &bp, jobs, n_jobs, rank, size, comm);
    if (rc == RB_OK && rank == 0) rc = rb_prepare_recv(m, &bp, jobs, n_jobs, &buf);
    rc = rb_mpi_agree(rc, &comm); /* every job done and rank 0 ready, or every rank leaves */
    if (rc == RB_OK) rb_gather_jobs(m, &bp, jobs, n_jobs, rank, buf, comm);
    free(buf);
    free(jobs);
    if (rc != RB_OK || rank != 0) {
        rb_model_free(m);
        return rc;
    }
    /* clean train statistics: the scale of the corruption surrogates at benchmark time */
    for (int mod = 0; mod < 2; mod++)
        if (rb_clean_stats_compute(&data->train, mod == 0 ? RB_MOD_VISUAL : RB_MOD_AUDIO, &m->stats[mod]) != RB_OK) {
            rb_context("dataset %s", dataset_name);
            rb_model_free(m);
            return RB_ERR;
        }
    return RB_OK;
}
