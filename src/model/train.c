/* train.c - the training loop of the detectors (rb_model.h): bags of (video, crop), uniform
 * resampling of long videos, per-epoch shuffle, visual-or-audio choice per bag for the shared kinds,
 * batched forward/backward (rb_detector_loss_grad) over the batch's fixed gradient groups, summed
 * alone or by a team (train_groups.c), Adam with a schedule, and the per-epoch log. */
#include "rb_model.h"
#include "train_groups.h"

#include "rb_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rb_train_params_default(rb_train_params *p) {
    memset(p, 0, sizeof *p);
    p->hidden1 = 512;
    p->hidden2 = 128;
    p->dropout = 0.6f;
    p->epochs = 50;
    p->batch = 128;
    p->max_snippets = 200;
    p->lr = 1e-4;
    p->weight_decay = 0.0;
    p->wd_mode = RB_WD_L2;
    p->schedule = RB_LR_CONSTANT;
    p->step_every = 10;
    p->step_gamma = 0.1;
    p->seed = 0;
    p->replica = 0;
    p->grad_groups = 8;
    p->arch = RB_ARCH_MLP;
    p->team = MPI_COMM_NULL;
}

int rb_train_params_check(const rb_train_params *p) {
    if (p->hidden1 < 1 || p->hidden2 < 1)
        return rb_fail("train: expected hidden widths >= 1, got %d and %d", p->hidden1, p->hidden2);
    if (!(p->dropout >= 0.0f && p->dropout < 1.0f))
        return rb_fail("train: expected dropout in [0, 1), got %g", (double)p->dropout);
    if (p->epochs < 1 || p->epochs > (1 << 28)) return rb_fail("train: expected epochs in [1, 2^28], got %d", p->epochs);
    if (p->batch < 1) return rb_fail("train: expected batch >= 1, got %d", p->batch);
    if (p->arch != RB_ARCH_MLP && p->arch != RB_ARCH_HLNET) return rb_fail("train: unknown architecture %d", (int)p->arch);
    if (p->grad_groups < 1 || p->grad_groups > 64)
        return rb_fail("train: expected train.grad_groups in 1..64, got %d", p->grad_groups);
    if (p->max_snippets < 2 || p->max_snippets > 65535)
        return rb_fail("train: expected max_snippets in [2, 65535], got %d", p->max_snippets);
    if (!(p->lr > 0.0 && isfinite(p->lr))) return rb_fail("train: expected lr > 0, got %g", p->lr);
    if (!(p->weight_decay >= 0.0 && isfinite(p->weight_decay)))
        return rb_fail("train: expected weight_decay >= 0, got %g", p->weight_decay);
    if (p->wd_mode != RB_WD_L2 && p->wd_mode != RB_WD_DECOUPLED)
        return rb_fail("train: unknown weight-decay mode %d", (int)p->wd_mode);
    if (p->schedule != RB_LR_CONSTANT && p->schedule != RB_LR_STEP && p->schedule != RB_LR_COSINE)
        return rb_fail("train: unknown learning-rate schedule %d", (int)p->schedule);
    if (p->schedule == RB_LR_STEP && (p->step_every < 1 || !(p->step_gamma > 0.0 && p->step_gamma <= 1.0)))
        return rb_fail("train: step schedule needs step_every >= 1 and gamma in (0, 1], got %d and %g",
                       p->step_every, p->step_gamma);
    return RB_OK;
}

int rb_train_detector_init(rb_detector *d, rb_detector_kind kind, int d_visual, int d_audio,
                           const rb_train_params *p) {
    RB_TRY(rb_train_params_check(p));
    return rb_detector_init_arch(d, p->arch, kind, d_visual, d_audio, p->hidden1, p->hidden2, p->dropout, p->seed,
                                 p->replica);
}

void rb_train_log_free(rb_train_log *log) {
    if (!log) return;
    free(log->loss);
    free(log->visual_fraction);
    free(log->snippets_per_s);
    free(log->lr);
    memset(log, 0, sizeof *log);
}

int rb_train_resample(int64_t t, int m, int32_t *pos) {
    if (t <= m) {
        for (int64_t i = 0; i < t; i++) pos[i] = (int32_t)i;
        return (int)t;
    }
    /* numpy.linspace: step = (stop - start) / (num - 1); y = i * step + start; y[-1] = stop; the
     * dtype=np.uint16 cast truncates. */
    double step = (double)(t - 1) / (double)(m - 1);
    for (int i = 0; i < m - 1; i++) pos[i] = (int32_t)floor((double)i * step);
    pos[m - 1] = (int32_t)(t - 1);
    return m;
}

static int rb_cmp_desc_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x < y) - (x > y);
}

/* Everything the loop allocates, freed in one place. */
typedef struct {
    int32_t *eff_len;   /* [n_videos] min(len, max_snippets) */
    int32_t *perm;      /* [n_bags] */
    int32_t *order;     /* [batch] bags of the current batch, visual-fed first */
    int64_t *start;     /* [batch] */
    int32_t *len;       /* [batch] */
    float *labels;      /* [batch] */
    uint32_t *bag_id;   /* [batch] */
    float *group_grad;  /* [rb_group_rows(grad_groups, team_size)][n_params]: this rank's groups */
    double *group_loss; /* [grad_groups] */
    rb_group_exchange groups; /* the group sum, alone or over the team */
    int32_t *pos;       /* [max_snippets] */
    float *xv, *xa;     /* gathered rows */
    float *grad;        /* [n_params] */
    rb_det_work work;
    rb_adam adam;
} rb_train_state;

static void rb_train_state_free(rb_train_state *s) {
    free(s->group_grad);
    free(s->group_loss);
    rb_group_exchange_free(&s->groups);
    free(s->eff_len); free(s->perm); free(s->order); free(s->start); free(s->len);
    free(s->labels); free(s->bag_id); free(s->pos); free(s->xv); free(s->xa); free(s->grad);
    rb_det_work_free(&s->work);
    rb_adam_free(&s->adam);
}

static int rb_train_check_inputs(const rb_detector *d, const rb_split *s) {
    const char *k = rb_detector_kind_name(d->kind);
    if (!d->params) return rb_fail("train %s: detector is not initialised", k);
    if (s->n_videos < 1) return rb_fail("train %s: the train split has no videos", k);
    if (s->n_crops < 1) return rb_fail("train %s: expected n_crops >= 1, got %d", k, s->n_crops);
    if (s->d_visual != d->d_visual || s->d_audio != d->d_audio)
        return rb_fail("train %s: detector widths (visual %d, audio %d) differ from the split's (%d, %d)",
                       k, d->d_visual, d->d_audio, s->d_visual, s->d_audio);
    if (s->n_videos * (int64_t)s->n_crops > 0x7fffffff)
        return rb_fail("train %s: %lld videos x %d crops exceeds the supported bag count", k,
                       (long long)s->n_videos, s->n_crops);
    for (int64_t v = 0; v < s->n_videos; v++)
        if (rb_split_video_len(s, v) < 1)
            return rb_fail("train %s: video %lld has no snippets", k, (long long)v);
    return RB_OK;
}

/* Upper bound on the trunk rows of any batch: the batch largest bag lengths. */
static int64_t rb_train_cap_rows(const rb_split *s, const int32_t *eff_len, int batch, int32_t *scratch) {
    memcpy(scratch, eff_len, sizeof(int32_t) * (size_t)s->n_videos);
    qsort(scratch, (size_t)s->n_videos, sizeof(int32_t), rb_cmp_desc_i32);
    int64_t rows = 0, bags = 0;
    for (int64_t v = 0; v < s->n_videos && bags < batch; v++)
        for (int c = 0; c < s->n_crops && bags < batch; c++, bags++) rows += scratch[v];
    return rows;
}

static int rb_uses_visual(rb_detector_kind k) { return k != RB_DET_AUDIO; }
static int rb_uses_audio(rb_detector_kind k) { return k != RB_DET_VISUAL; }
static int rb_is_shared_kind(rb_detector_kind k) { return k == RB_DET_SHARED || k == RB_DET_SHARED_PAD; }

/* Copy the (resampled) rows of bag (video v, crop c) into x (visual) or y (audio) at row r0. */
static int64_t rb_gather_bag(const rb_split *s, int64_t v, int c, int m, int32_t *pos, float *xv,
                             float *xa, int64_t r0) {
    int n = rb_train_resample(rb_split_video_len(s, v), m, pos);
    int64_t off = s->offsets[v];
    for (int j = 0; j < n; j++) {
        if (xv) memcpy(xv + (r0 + j) * (int64_t)s->d_visual, rb_split_visual_at(s, off + pos[j], c),
                       sizeof(float) * (size_t)s->d_visual);
        if (xa) memcpy(xa + (r0 + j) * (int64_t)s->d_audio, rb_split_audio_at(s, off + pos[j]),
                       sizeof(float) * (size_t)s->d_audio);
    }
    return n;
}

/* The fixed quantities of one training run. */
typedef struct {
    rb_detector *d;
    const rb_split *train;
    const rb_train_params *p;
    const char *kname;        /* detector kind name, for messages */
    int nc, m;                /* crops per video, most snippets per bag */
    int32_t n_bags;           /* videos x crops */
    int batch;                /* bags per step: min(p->batch, n_bags) */
    int shared;               /* a shared kind: each bag is fed either visual or audio */
    int team_rank, team_size; /* this rank's place in p->team (0 of 1 without a team) */
} rb_train_run;

/* Sums over the steps of one epoch, for the log. */
typedef struct {
    double loss_sum;     /* batch mean loss x batch size */
    int64_t rows_total;  /* trunk rows fed */
    int64_t visual_bags; /* bags fed visual */
} rb_epoch_sums;

/* Allocate everything the loop uses (s is zeroed first, so rb_train_state_free is always safe); the
 * gathered-row buffers and the detector work space hold the longest possible batch. */
static int rb_train_state_alloc(rb_train_state *s, const rb_train_run *r) {
    const rb_detector *d = r->d;
    const int64_t nv = r->train->n_videos;
    const int32_t n_bags = r->n_bags;
    const int batch = r->batch, m = r->m, G = r->p->grad_groups;
    memset(s, 0, sizeof *s);
    s->eff_len = rb_malloc(sizeof(int32_t) * (size_t)nv, "video lengths");
    s->perm = rb_malloc(sizeof(int32_t) * (size_t)(n_bags > nv ? n_bags : nv), "bag order");
    s->order = rb_malloc(sizeof(int32_t) * (size_t)batch, "batch order");
    s->start = rb_malloc(sizeof(int64_t) * (size_t)batch, "bag starts");
    s->len = rb_malloc(sizeof(int32_t) * (size_t)batch, "bag lengths");
    s->labels = rb_malloc(sizeof(float) * (size_t)batch, "bag labels");
    s->bag_id = rb_malloc(sizeof(uint32_t) * (size_t)batch, "bag ids");
    s->pos = rb_malloc(sizeof(int32_t) * (size_t)m, "resampling positions");
    s->grad = rb_malloc(sizeof(float) * (size_t)d->n_params, "parameter gradients");
    s->group_grad = rb_malloc(sizeof(float) * (size_t)rb_group_rows(G, r->team_size) * (size_t)d->n_params,
                              "group gradients");
    s->group_loss = rb_malloc(sizeof(double) * (size_t)G, "group losses");
    if (!s->group_grad || !s->group_loss) return RB_ERR;
    RB_TRY(rb_group_exchange_init(&s->groups, r->team_size > 1 ? r->p->team : MPI_COMM_NULL, G, d->n_params,
                                  r->kname));
    if (!s->eff_len || !s->perm || !s->order || !s->start || !s->len || !s->labels || !s->bag_id || !s->pos || !s->grad)
        return RB_ERR;
    for (int64_t v = 0; v < nv; v++) {
        int64_t t = rb_split_video_len(r->train, v);
        s->eff_len[v] = (int32_t)(t < m ? t : m);
    }
    int64_t cap = rb_train_cap_rows(r->train, s->eff_len, batch, s->perm);
    if (rb_uses_visual(d->kind) &&
        !(s->xv = rb_malloc(sizeof(float) * (size_t)cap * (size_t)d->d_visual, "gathered visual rows")))
        return RB_ERR;
    if (rb_uses_audio(d->kind) &&
        !(s->xa = rb_malloc(sizeof(float) * (size_t)cap * (size_t)d->d_audio, "gathered audio rows")))
        return RB_ERR;
    RB_TRY(rb_det_work_alloc(&s->work, d, cap));
    return rb_adam_init(&s->adam, d->n_params, r->p->weight_decay, r->p->wd_mode);
}

/* Size the per-epoch arrays of the training log. */
static int rb_train_log_start(rb_train_log *log, const rb_train_run *r) {
    const rb_train_params *p = r->p;
    log->n_epochs = p->epochs;
    log->bags_per_epoch = r->n_bags;
    log->steps_per_epoch = (r->n_bags + r->batch - 1) / r->batch;
    log->loss = rb_calloc((size_t)p->epochs, sizeof(double), "training log");
    log->visual_fraction = rb_calloc((size_t)p->epochs, sizeof(double), "training log");
    log->snippets_per_s = rb_calloc((size_t)p->epochs, sizeof(double), "training log");
    log->lr = rb_calloc((size_t)p->epochs, sizeof(double), "training log");
    return log->loss && log->visual_fraction && log->snippets_per_s && log->lr ? RB_OK : RB_ERR;
}

/* Order the bags perm[b0 .. b0 + nb) of a batch into s->order: visual-fed bags first, then audio-fed
 * ones (shared kinds draw the modality per epoch and bag), each in shuffled order. Returns the number
 * of visual-fed bags. */
static int rb_order_batch(const rb_train_run *r, rb_train_state *s, int e, int32_t b0, int nb) {
    const rb_train_params *p = r->p;
    int n_vis = 0, n_aud = 0;
    for (int j = 0; j < nb; j++) {
        int32_t bag = s->perm[b0 + j];
        int audio = r->d->kind == RB_DET_AUDIO;
        if (r->shared) {
            rb_rng rng;
            rb_rng_init(&rng, p->seed, RB_PURPOSE_TRAIN_MODALITY, p->replica, (uint32_t)e, (uint32_t)bag);
            audio = (int)(rb_rng_u32(&rng) >> 31);
        }
        if (audio) s->order[nb - 1 - n_aud++] = bag; /* filled from the back, reversed below */
        else s->order[n_vis++] = bag;
    }
    for (int i = 0, j = nb - 1; n_vis + i < j; i++, j--) { /* restore shuffled order of audio */
        int32_t t = s->order[n_vis + i];
        s->order[n_vis + i] = s->order[j];
        s->order[j] = t;
    }
    return n_vis;
}

/* Gather the bags order[j0 .. j1) of a batch (those from n_vis on are fed audio) into the row buffers,
 * all visual rows before the audio rows, and set their start, length, label and id (index j - j0). */
static void rb_gather_group(const rb_train_run *r, rb_train_state *s, int j0, int j1, int n_vis, int64_t *rows_v,
                            int64_t *rows_a) {
    const rb_split *train = r->train;
    const int nc = r->nc, m = r->m;
    int64_t rv = 0, ra = 0;
    for (int j = j0; j < j1; j++) {
        int32_t bag = s->order[j];
        int64_t v = bag / nc;
        int c = bag % nc, fed_audio = j >= n_vis, k = j - j0;
        s->labels[k] = (float)train->labels[v];
        s->bag_id[k] = (uint32_t)bag;
        if (r->d->kind == RB_DET_CONCAT) {
            s->start[k] = rv;
            s->len[k] = (int32_t)rb_gather_bag(train, v, c, m, s->pos, s->xv, s->xa, rv);
            rv += s->len[k];
            ra = rv;
        } else if (!fed_audio) {
            s->start[k] = rv;
            s->len[k] = (int32_t)rb_gather_bag(train, v, c, m, s->pos, s->xv, NULL, rv);
            rv += s->len[k];
        } else {
            s->start[k] = rv + ra; /* all visual rows precede the audio rows */
            s->len[k] = (int32_t)rb_gather_bag(train, v, c, m, s->pos, NULL, s->xa, ra);
            ra += s->len[k];
        }
    }
    *rows_v = rv;
    *rows_a = ra;
}

/* Mean loss and gradient of each of the G fixed groups of consecutive bags of the batch that this rank
 * owns (group g belongs to team rank g % team_size, its gradient is row g / team_size of group_grad);
 * every group's loss starts at 0. Adds the rows fed to *rows_v and *rows_a. */
static int rb_group_grads(const rb_train_run *r, rb_train_state *s, int e, int32_t b0, int nb, int n_vis,
                          int64_t *rows_v, int64_t *rows_a) {
    const rb_train_params *p = r->p;
    const rb_detector *d = r->d;
    const int G = p->grad_groups;
    for (int g = 0; g < G; g++) {
        int j0, j1;
        rb_group_bags(nb, G, g, &j0, &j1);
        s->group_loss[g] = 0.0;
        if (j1 == j0 || g % r->team_size != r->team_rank) continue;
        int64_t rv, ra;
        rb_gather_group(r, s, j0, j1, n_vis, &rv, &ra);
        rb_det_batch bt = {.xv = s->xv, .rows_v = rv, .xa = s->xa, .rows_a = ra, .n_bags = j1 - j0,
                           .start = s->start, .len = s->len, .labels = s->labels, .dropout_on = 1,
                           .seed = p->seed, .replica = p->replica, .epoch = (uint32_t)e,
                           .bag_id = s->bag_id};
        if (rb_detector_loss_grad(d, &bt, &s->work, &s->group_loss[g],
                                  s->group_grad + (size_t)(g / r->team_size) * (size_t)d->n_params) != RB_OK)
            return rb_context("train %s: epoch %d, batch at bag %d", r->kname, e, b0);
        *rows_v += rv;
        *rows_a += ra;
    }
    return RB_OK;
}

/* The batch mean loss: the group-weighted sum of the group losses in group order. */
static double rb_batch_loss(const rb_train_run *r, const rb_train_state *s, int nb) {
    const int G = r->p->grad_groups;
    double loss = 0.0;
    for (int g = 0; g < G; g++) {
        int j0, j1;
        rb_group_bags(nb, G, g, &j0, &j1);
        if (j1 == j0) continue;
        loss += s->group_loss[g] * (double)(j1 - j0) / nb;
    }
    return loss;
}

/* Adam at rate lr; an hlnet detector's online branch (its last n_params_slow parameters) at lr / 2, as
 * the public HL-Net optimizer's parameter groups: one step count, two views of the moment buffers. */
static void rb_train_adam(rb_detector *d, rb_adam *adam, const float *grad, double lr) {
    const int64_t n_fast = d->n_params - d->n_params_slow;
    if (d->n_params_slow == 0) {
        rb_adam_step(adam, d->params, grad, lr);
        return;
    }
    rb_adam fast = *adam, slow = *adam;
    fast.n = n_fast;
    slow.n = d->n_params_slow;
    slow.m += n_fast;
    slow.v += n_fast;
    rb_adam_step(&fast, d->params, grad, lr);
    rb_adam_step(&slow, d->params + n_fast, grad + n_fast, 0.5 * lr);
    adam->t = fast.t;
}

/* One step on the bags perm[b0 .. b0 + nb): order and gather them, the gradient over G fixed groups of
 * consecutive bags (summed by a team when there is one: train_groups.c), then Adam at rate lr. */
static int rb_train_step(const rb_train_run *r, rb_train_state *s, int e, int32_t b0, int nb, double lr,
                         rb_epoch_sums *sums) {
    int n_vis = rb_order_batch(r, s, e, b0, nb);
    int64_t rv = 0, ra = 0;
    int rc = rb_group_grads(r, s, e, b0, nb, n_vis, &rv, &ra);
    /* a team agrees before the exchange (a group may fail on one member only: rb_core.h) */
    if (r->team_size > 1) rc = rb_mpi_agree(rc, &r->p->team);
    RB_TRY(rc);
    rb_group_batch_grad(&s->groups, nb, s->group_grad, s->group_loss, s->grad);
    double loss = rb_batch_loss(r, s, nb);
    if (!isfinite(loss))
        return rb_fail("train %s: loss is not finite (%g) at epoch %d, batch at bag %d (lr %g too high?)", r->kname,
                       loss, e, b0, lr);
    rb_train_adam(r->d, &s->adam, s->grad, lr);
    sums->loss_sum += loss * nb;
    sums->rows_total += r->d->kind == RB_DET_CONCAT ? rv : rv + ra;
    sums->visual_bags += n_vis;
    return RB_OK;
}

/* Epoch e: the learning rate of the schedule, a fresh shuffle of the bags, one step per batch, and the
 * epoch's line of the log. */
static int rb_train_epoch(const rb_train_run *r, rb_train_state *s, int e, rb_train_log *log) {
    const rb_train_params *p = r->p;
    const int32_t n_bags = r->n_bags;
    double t0 = rb_now(), lr = rb_lr_at(p->schedule, p->lr, e, p->epochs, p->step_every, p->step_gamma);
    rb_rng shuffle;
    rb_rng_init(&shuffle, p->seed, RB_PURPOSE_TRAIN_SHUFFLE, p->replica, (uint32_t)e, 0);
    rb_rng_permutation(&shuffle, s->perm, n_bags);
    rb_epoch_sums sums = {0.0, 0, 0};
    for (int32_t b0 = 0; b0 < n_bags; b0 += r->batch) {
        int nb = n_bags - b0 < r->batch ? n_bags - b0 : r->batch;
        RB_TRY(rb_train_step(r, s, e, b0, nb, lr, &sums));
    }
    double dt = rb_now() - t0;
    if (log) {
        log->loss[e] = sums.loss_sum / n_bags;
        log->visual_fraction[e] = r->shared ? (double)sums.visual_bags / n_bags : NAN;
        log->snippets_per_s[e] = dt > 0 ? (double)sums.rows_total / dt : 0.0;
        log->lr[e] = lr;
    }
    return RB_OK;
}

int rb_train_detector(rb_detector *d, const rb_split *train, const rb_train_params *p, rb_train_log *log) {
    const char *kname = rb_detector_kind_name(d->kind);
    if (log) memset(log, 0, sizeof *log);
    RB_TRY_CTX(rb_train_params_check(p), "train %s", kname);
    RB_TRY(rb_train_check_inputs(d, train));
    rb_train_run r = {.d = d, .train = train, .p = p, .kname = kname, .nc = train->n_crops, .m = p->max_snippets,
                      .n_bags = (int32_t)(train->n_videos * train->n_crops), .shared = rb_is_shared_kind(d->kind),
                      .team_rank = 0, .team_size = 1};
    r.batch = p->batch < r.n_bags ? p->batch : r.n_bags;
    if (p->team != MPI_COMM_NULL) {
        MPI_Comm_rank(p->team, &r.team_rank);
        MPI_Comm_size(p->team, &r.team_size);
    }
    rb_train_state s;
    int rc = rb_train_state_alloc(&s, &r);
    if (rc == RB_OK && log) rc = rb_train_log_start(log, &r);
    if (r.team_size > 1) rc = rb_mpi_agree(rc, &p->team); /* before the team's first exchange */
    double t_start = rb_now();
    for (int e = 0; rc == RB_OK && e < p->epochs; e++) rc = rb_train_epoch(&r, &s, e, log);
    if (rc == RB_OK && log) log->seconds = rb_now() - t_start;
    rb_train_state_free(&s);
    if (rc != RB_OK && log) rb_train_log_free(log);
    return rc;
}
