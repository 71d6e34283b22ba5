/* lstm.c — fused LSTM layer with optional diagonal peepholes and projection.
 *
 * Forward (gates i, f, g, o; a = W_ih x + b_ih + W_hh h + b_hh; p_* peepholes):
 *   i = sigmoid(a_i + p_i c_prev)    f = sigmoid(a_f + p_f c_prev)
 *   g = tanh(a_g)                    c = f c_prev + i g
 *   o = sigmoid(a_o + p_o c)         m = o tanh(c)
 *   h = m, or h = m W_hr^T with a projection.
 * Backward, with dh reaching h and dc reaching c from the next step:
 *   dm = dh (or dh W_hr)             da_o = dm tanh(c) o (1 - o)
 *   dc += dm o (1 - tanh(c)^2) + da_o p_o
 *   da_i = dc g i (1 - i)            da_g = dc i (1 - g^2)
 *   da_f = dc c_prev f (1 - f)
 *   dc_prev = dc f + da_i p_i + da_f p_f,   dh_prev = da W_hh
 *   dp_i += da_i c_prev, dp_f += da_f c_prev, dp_o += da_o c,  dW_hr += dh^T m.
 * Cache: h_prev [T, B, Ho], gates i f g o [T, B, 4H], and the cell states
 * [T + 1, B, H] in time order, c0 at the start (the end, in reverse): step
 * t's c_prev and c are two neighbouring slots. */
#include "recurrent.h"

#include "kernels.h"

#include <math.h>
#include <string.h>

typedef struct {
    float *hprev, *gates, *cs; /* the cache, carved */
} lstm_cache;

static lstm_cache carve(const rc__seq_dims *d, float *cache)
{
    size_t TB = d->T * d->B, H = d->H;
    lstm_cache k;
    k.hprev = cache;
    k.gates = k.hprev + TB * rc__seq_hout(d);
    k.cs = k.gates + TB * 4 * H;
    return k;
}

/* The cell states [B, H] before and after step t in the cache. */
static float *c_before(const rc__seq_dims *d, const lstm_cache *k, size_t t)
{
    return k->cs + (d->reverse ? t + 1 : t) * d->B * d->H;
}

static float *c_after(const rc__seq_dims *d, const lstm_cache *k, size_t t)
{
    return k->cs + (d->reverse ? t : t + 1) * d->B * d->H;
}

/* ---- the fused kernel (rc__seq_fused, and streams: no projection, up to 64 rows) ----
 *
 * Threads own blocks of U = PACK_COLS hidden units.  Per step each computes
 * the four gates of its units from the packed weights (rc__pack_gates) into
 * a tile [5][B][U] on its stack — gates i f g o, then m = o tanh(c) —
 * finishes the cell there in one SIMD pass (rc__lstm_cell), and writes its
 * units' columns of c, h, y and the cache:
 * one barrier per step (every thread reads all of h), one thread pool, and
 * every element computed the same way at any thread count.  The backward
 * splits the same way: the gate gradients of a thread's units, a barrier,
 * then its units' columns of dh_prev = da W_hh.  The input product
 * x_t W_ih^T is taken inside the loop, or for a sparse or narrow x before
 * it (gx of all steps; narrow_input). */
enum { U = PACK_COLS, UB = PACK_GROUP_COLS, FUSED_ROWS = RC__FUSED_MAX_ROWS }; /* UB: the backward's blocks */

typedef struct {
    float *gx;         /* [T, B, 4H] with biases (sparse x), else NULL */
    float *p_ih;       /* W_ih packed by unit blocks (dense x), else NULL */
    float *p_hh;       /* forward: W_hh by unit blocks; backward: W_hh packed for da W_hh, and after
                        * the time loop the packed operands of the weight and input gradients */
    float *bias;       /* [4H] b_ih + b_hh (dense x) */
    float *h[2], *c;   /* [B, H] each: h of the step and the next, c */
    float *dg;         /* backward: [T, B, 4H] gate gradients */
} fused_work;

enum { FORWARD, FORWARD_PREPACKED, BACKWARD };

/* Inputs narrower than a column group (UB) are multiplied outside the
 * packed kernel, whose tiles they would mostly pad: gx of all steps before
 * the time loop (one BLAS GEMM, or the sparse sums), and the gradients
 * dW_ih and dx after it on the BLAS.  (FSDD's LSTM-195 with 20 inputs, one
 * epoch on one thread: 28.7 s with them in the packed kernel.)  A stream's
 * call always multiplies inside the loop, on its packed W_ih. */
static int narrow_input(const rc__seq_dims *d) { return d->I < UB; }

static fused_work carve_fused(const rc__seq_dims *d, float *work, int mode, size_t *floats)
{
    size_t TB = d->T * d->B, B = d->B, H = d->H, G = 4 * H;
    fused_work f = {0};
    float *p = work;
    if (mode == BACKWARD) {
        size_t loop = rc__packed_size(H, G), after = rc__seq_grads_packed_size(d->I, G);
        size_t hh = rc__gemm_at_work(H) + rc__gemm_at_work(d->I);
        after = after > hh ? after : hh;
        f.dg = p, p += TB * G;
        f.p_hh = p, p += loop > after ? loop : after;
    } else {
        if (d->sparse_x || (mode == FORWARD && narrow_input(d)))
            f.gx = p, p += TB * G;
        else if (mode == FORWARD)
            f.p_ih = p, p += rc__packed_gates_size(H, d->I);
        if (mode == FORWARD)
            f.p_hh = p, p += rc__packed_gates_size(H, H);
        f.bias = p, p += G;
    }
    f.h[0] = p, p += B * H;
    f.h[1] = p, p += B * H;
    f.c = p, p += B * H;
    *floats = (size_t)(p - work);
    return f;
}

size_t rc__lstm_fused_work_size(const rc__seq_dims *d, int backward)
{
    size_t n;
    carve_fused(d, NULL, backward ? BACKWARD : FORWARD, &n);
    return n;
}

size_t rc__lstm_packed_size(const rc__seq_dims *d)
{
    return rc__packed_gates_size(d->H, d->I) + rc__packed_gates_size(d->H, d->H);
}

void rc__lstm_pack(const rc__seq_dims *d, const rc__seq_weights *w, float *P)
{
    for (size_t u = 0; u * U < d->H; u++) {
        rc__pack_gates(d->H, d->I, w->w_ih, d->I, u, P);
        rc__pack_gates(d->H, d->H, w->w_hh, d->H, u, P + rc__packed_gates_size(d->H, d->I));
    }
}

size_t rc__lstm_packed_work_size(const rc__seq_dims *d)
{
    size_t n;
    carve_fused(d, NULL, FORWARD_PREPACKED, &n);
    return n;
}

/* dst = src, n <= U floats: a whole block as a fixed-size copy (inlined). */
static inline void copy_units(float *dst, const float *src, size_t n)
{
    if (n == U)
        memcpy(dst, src, U * sizeof(float));
    else
        memcpy(dst, src, n * sizeof(float));
}

/* The parallel region pays when a step has this much work per thread. */
static int fused_threads_pay(const rc__seq_dims *d)
{
    return d->H >= 4 * U && d->B * d->H * (d->I + d->H) >= ((size_t)1 << 16);
}

/* Step t's gates, state and outputs of units [j0, j0 + n). */
static void fused_step_block(const rc__seq_dims *d, const rc__seq_weights *w, const fused_work *f, const float *x,
                             size_t s, size_t u, const float *hin, float *hout, float *y, lstm_cache *k)
{
    size_t t = rc__seq_time(d, s);
    size_t B = d->B, H = d->H, I = d->I, G = 4 * H, at = t * B, j0 = u * U, n = H - j0 < U ? H - j0 : U;
    float S[5 * FUSED_ROWS * U]; /* gates i f g o, then m = o tanh(c): [5][B][U] */
    float *c = f->c;
    /* a = (b + x W_ih^T) + h W_hh^T, summed in the unfused kernels' order */
    for (size_t g = 0; g < 4; g++)
        for (size_t b = 0; b < B; b++) {
            const float *add = f->gx ? f->gx + (at + b) * G + g * H + j0 : f->bias + g * H + j0;
            float *Sb = S + (g * B + b) * U;
            if (n < U)
                memset(Sb, 0, U * sizeof(float));
            copy_units(Sb, add, n);
        }
    if (f->gx && s + 1 < d->T) { /* the next step's gx: rows far apart, which no prefetcher follows */
        const float *next = f->gx + rc__seq_time(d, s + 1) * B * G + j0;
        for (size_t g = 0; g < 4; g++)
            for (size_t b = 0; b < B; b++) {
                __builtin_prefetch(next + b * G + g * H);
                __builtin_prefetch(next + b * G + g * H + n - 1);
            }
    }
    if (f->p_ih)
        rc__gemm_packed_local(B, 4 * U, I, x + at * I, I, f->p_ih + u * I * 4 * U, 1.0f, S, U, B * U);
    rc__gemm_packed_local(B, 4 * U, H, hin, H, f->p_hh + u * H * 4 * U, 1.0f, S, U, B * U);
    unsigned char live[FUSED_ROWS];
    for (size_t b = 0; b < B; b++)
        live[b] = (unsigned char)rc__seq_active(d, t, b);
    float *m = S + 4 * B * U;
    rc__lstm_cell(B, n, S, c + j0, H, w->w_ph ? w->w_ph + j0 : NULL, H, live, m);
    for (size_t b = 0; b < B; b++) {
        const float *hb = hin + b * H + j0;
        float *ob = hout + b * H + j0;
        if (k->gates)
            copy_units(k->hprev + (at + b) * H + j0, hb, n);
        if (!live[b]) {
            copy_units(ob, hb, n);
            continue;
        }
        copy_units(ob, m + b * U, n);
        copy_units(y + (at + b) * H + j0, m + b * U, n);
        if (k->gates)
            for (size_t g = 0; g < 4; g++)
                copy_units(k->gates + (at + b) * G + g * H + j0, S + (g * B + b) * U, n);
    }
    if (k->gates)
        for (size_t b = 0; b < B; b++)
            copy_units(c_after(d, k, t) + b * H + j0, c + b * H + j0, n);
}

/* The forward; P: the weights packed by rc__lstm_pack, or NULL to pack them here. */
static void fused_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *P, const float *x,
                          const float *h0, const float *c0, float *y, float *h_n, float *c_n, float *cache,
                          float *work)
{
    size_t T = d->T, B = d->B, H = d->H, G = 4 * H, blocks = (H + U - 1) / U, floats;
    fused_work f = carve_fused(d, work, P ? FORWARD_PREPACKED : FORWARD, &floats);
    lstm_cache k = cache ? carve(d, cache) : (lstm_cache){0};
    if (f.gx)
        rc__seq_input_projection(d, w, x, G, 1, f.gx, rc__seq_input_scratch(d, work, 0));
    if (P) {
        f.p_ih = f.gx ? NULL : (float *)P;
        f.p_hh = (float *)P + rc__packed_gates_size(H, d->I);
    }
    for (size_t j = 0; j < G; j++)
        f.bias[j] = (w->b_ih ? w->b_ih[j] : 0.0f) + (w->b_hh ? w->b_hh[j] : 0.0f);
    memcpy(f.h[0], h0, B * H * sizeof(float));
    memcpy(f.c, c0, B * H * sizeof(float));
    memset(y, 0, T * B * H * sizeof(float));
    if (cache)
        memcpy(c_before(d, &k, rc__seq_time(d, 0)), f.c, B * H * sizeof(float));
    int parallel = fused_threads_pay(d);
    (void)parallel;
    /* each thread packs the weights of its own units (the same static schedule as the steps') */
    RC_OMP("omp parallel if (parallel)")
    {
        RC_OMP("omp for schedule(static)")
        for (size_t u = 0; u < blocks; u++) {
            if (f.p_ih && !P)
                rc__pack_gates(H, d->I, w->w_ih, d->I, u, f.p_ih);
            if (!P)
                rc__pack_gates(H, H, w->w_hh, H, u, f.p_hh);
        }
        for (size_t s = 0; s < T; s++) {
            RC_OMP("omp for schedule(static)")
            for (size_t u = 0; u < blocks; u++)
                fused_step_block(d, w, &f, x, s, u, f.h[s & 1], f.h[~s & 1], y, &k);
        }
    }
    memcpy(h_n, f.h[T & 1], B * H * sizeof(float));
    memcpy(c_n, f.c, B * H * sizeof(float));
}

void rc__lstm_forward_packed(const rc__seq_dims *d, const rc__seq_weights *w, const float *P, const float *x,
                             const float *h0, const float *c0, float *y, float *h_n, float *c_n, float *work)
{
    fused_forward(d, w, P, x, h0, c0, y, h_n, c_n, NULL, work);
}

void rc__lstm_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *h0, const float *c0, float *y, float *h_n, float *c_n,
                      float *cache, float *work)
{
    if (rc__seq_fused(d)) {
        fused_forward(d, w, NULL, x, h0, c0, y, h_n, c_n, cache, work);
        return;
    }
    size_t T = d->T, B = d->B, H = d->H, Ho = rc__seq_hout(d), G = 4 * H;
    float *gx = work;           /* [T, B, 4H] */
    float *a = gx + T * B * G;  /* [B, 4H] */
    float *h = a + B * G;       /* [B, Ho] state */
    float *c = h + B * Ho;      /* [B, H] state */
    float *m = c + B * H;       /* [B, H] o tanh(c) */
    float *hp = m + B * H;      /* [B, Ho] projected m */
    const float *p_i = w->w_ph, *p_f = w->w_ph ? w->w_ph + H : NULL, *p_o = w->w_ph ? w->w_ph + 2 * H : NULL;
    lstm_cache k = cache ? carve(d, cache) : (lstm_cache){0};

    rc__seq_input_projection(d, w, x, G, 1, gx, rc__seq_input_scratch(d, work, 0));
    const float *P = rc__seq_packed_w_hh(d, w->w_hh, work, 0);
    memcpy(h, h0, B * Ho * sizeof(float));
    memcpy(c, c0, B * H * sizeof(float));
    memset(y, 0, T * B * Ho * sizeof(float));
    if (cache && T)
        memcpy(c_before(d, &k, rc__seq_time(d, 0)), c, B * H * sizeof(float));
    for (size_t s = 0; s < T; s++) {
        size_t t = rc__seq_time(d, s), at = t * B;
        if (cache)
            memcpy(k.hprev + at * Ho, h, B * Ho * sizeof(float));
        memcpy(a, gx + at * G, B * G * sizeof(float));
        if (P)
            rc__gemm_packed(B, G, Ho, h, Ho, P, 1.0f, a, G);
        else
            rc__sgemm(0, 1, B, G, Ho, 1.0f, h, Ho, w->w_hh, Ho, 1.0f, a, G);
        for (size_t b = 0; b < B; b++) {
            if (!rc__seq_active(d, t, b))
                continue;
            float *ab = a + b * G, *cb = c + b * H, *mb = m + b * H;
            float *gates = cache ? k.gates + (at + b) * G : NULL;
            if (p_i)
                for (size_t j = 0; j < H; j++) {
                    ab[j] += p_i[j] * cb[j];
                    ab[H + j] += p_f[j] * cb[j];
                }
            rc__sigmoid(2 * H, ab, ab);             /* i, f */
            rc__tanh(H, ab + 2 * H, ab + 2 * H);    /* g */
            for (size_t j = 0; j < H; j++)
                cb[j] = ab[H + j] * cb[j] + ab[j] * ab[2 * H + j];
            if (p_o)
                for (size_t j = 0; j < H; j++)
                    ab[3 * H + j] += p_o[j] * cb[j];
            rc__sigmoid(H, ab + 3 * H, ab + 3 * H); /* o */
            rc__tanh(H, cb, mb);
            for (size_t j = 0; j < H; j++)
                mb[j] *= ab[3 * H + j];
            if (gates)
                memcpy(gates, ab, G * sizeof(float));
        }
        if (cache) /* every row: a finished sequence's state carries to the next slot */
            memcpy(c_after(d, &k, t), c, B * H * sizeof(float));
        const float *hnew = m;
        if (d->P) {
            rc__sgemm(0, 1, B, Ho, H, 1.0f, m, H, w->w_hr, H, 0.0f, hp, Ho);
            hnew = hp;
        }
        rc__seq_copy_active(d, t, Ho, hnew, h);
        rc__seq_copy_active(d, t, Ho, hnew, y + at * Ho);
    }
    memcpy(h_n, h, B * Ho * sizeof(float));
    memcpy(c_n, c, B * H * sizeof(float));
}

/* Step t's gate gradients of units [j0, j0 + n) into f->dg, from dh (its
 * columns carried from step t + 1) and dy; dc of these units goes back a step. */
static void fused_grad_block(const rc__seq_dims *d, const rc__seq_weights *w, const fused_work *f,
                             const lstm_cache *k, const float *dy, const rc__seq_grads *g, size_t t, size_t u)
{
    size_t B = d->B, H = d->H, G = 4 * H, at = t * B, j0 = u * UB, n = H - j0 < UB ? H - j0 : UB;
    const float *p = w->w_ph ? w->w_ph + j0 : NULL;
    float *gp = g->w_ph ? g->w_ph + j0 : NULL;
    for (size_t b = 0; b < B; b++) {
        float *da = f->dg + (at + b) * G + j0;
        if (!rc__seq_active(d, t, b)) {
            for (size_t q = 0; q < 4; q++)
                memset(da + q * H, 0, n * sizeof(float));
            continue;
        }
        rc__lstm_cell_grad(n, H, k->gates + (at + b) * G + j0, c_before(d, k, t) + b * H + j0,
                           c_after(d, k, t) + b * H + j0, dy ? dy + (at + b) * H + j0 : NULL, p, gp,
                           f->h[0] + b * H + j0, f->c + b * H + j0, da);
    }
}

/* Columns [j0, j0 + n) of dh_prev = da W_hh for the active rows of step t. */
static void fused_dh_block(const rc__seq_dims *d, const fused_work *f, size_t t, size_t u)
{
    size_t B = d->B, H = d->H, G = 4 * H, j0 = u * UB, n = H - j0 < UB ? H - j0 : UB;
    float out[FUSED_ROWS * UB];
    rc__gemm_packed_local(B, n, G, f->dg + t * B * G, G, f->p_hh + j0 * G, 0.0f, out, UB, U);
    for (size_t b = 0; b < B; b++)
        if (rc__seq_active(d, t, b))
            memcpy(f->h[0] + b * H + j0, out + b * UB, n * sizeof(float));
}

static void fused_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x, const float *cache,
                           const float *dy, const float *dh_n, const float *dc_n, const rc__seq_grads *g,
                           float *work)
{
    size_t T = d->T, B = d->B, H = d->H, G = 4 * H, blocks = (H + UB - 1) / UB, floats;
    fused_work f = carve_fused(d, work, BACKWARD, &floats);
    lstm_cache k = carve(d, (float *)cache);
    rc__copy_or_zero(B * H, dh_n, f.h[0]); /* dh */
    rc__copy_or_zero(B * H, dc_n, f.c);    /* dc */
    int parallel = fused_threads_pay(d);
    (void)parallel;
    /* A thread's units are the same in both loops (static schedules of one
     * size), so the second needs no barrier: the next step's first loop
     * reads only the thread's own columns of dh. */
    RC_OMP("omp parallel if (parallel)")
    {
        RC_OMP("omp for schedule(static)")
        for (size_t u = 0; u < blocks; u++) /* W_hh's columns of the thread's units */
            rc__pack_group(0, H, G, w->w_hh, H, u, f.p_hh);
        for (size_t s = T; s-- > 0;) {
            size_t t = rc__seq_time(d, s);
            RC_OMP("omp for schedule(static)")
            for (size_t u = 0; u < blocks; u++)
                fused_grad_block(d, w, &f, &k, dy, g, t, u);
            RC_OMP("omp for schedule(static) nowait")
            for (size_t u = 0; u < blocks; u++)
                fused_dh_block(d, &f, t, u);
        }
    }
    if (g->h0)
        rc__accumulate(B * H, f.h[0], g->h0);
    if (g->c0)
        rc__accumulate(B * H, f.c, g->c0);
    /* dW_hh and a dense, wide input's dW_ih in one pass over the gate gradients */
    rc__at_term terms[RC_AT_TERMS];
    size_t n = 0;
    rc__seq_grads rest = *g;
    if (g->w_ih && !narrow_input(d) && !d->sparse_x) {
        terms[n++] = (rc__at_term){.N = d->I, .ldb = d->I, .ldc = d->I, .B = x, .C = g->w_ih};
        rest.w_ih = NULL;
    }
    if (g->w_hh)
        terms[n++] = (rc__at_term){.N = H, .ldb = H, .ldc = H, .B = k.hprev, .C = g->w_hh};
    if (n)
        rc__gemm_at(G, T * B, f.dg, G, n, terms, f.p_hh);
    rc__seq_input_grads(d, w, x, f.dg, G, 1, &rest, rc__seq_input_scratch(d, work, 1),
                        narrow_input(d) ? NULL : f.p_hh);
}

void rc__lstm_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                       const float *cache, const float *dy, const float *dh_n, const float *dc_n,
                       const rc__seq_grads *g, float *work)
{
    if (rc__seq_fused(d)) {
        fused_backward(d, w, x, cache, dy, dh_n, dc_n, g, work);
        return;
    }
    size_t T = d->T, B = d->B, H = d->H, Ho = rc__seq_hout(d), G = 4 * H, TB = T * B;
    lstm_cache k = carve(d, (float *)cache);
    size_t kept = d->P ? TB : B;    /* rows of M and DH: all steps' for dW_hr, else one step's */
    float *DG = work;               /* [T, B, 4H] gate pre-activation gradients */
    float *M = DG + TB * G;         /* [T, B, H] m = o tanh(c) (projection), else [B, H] */
    float *DH = M + kept * H;       /* [T, B, Ho] dh of each step (projection), else [B, Ho] */
    float *dh = DH + kept * Ho;     /* [B, Ho] */
    float *dc = dh + B * Ho;        /* [B, H] */
    float *dm = dc + B * H;         /* [B, H] */
    float *tmp = dm + B * H;        /* [B, max(Ho, 4H)] */
    const float *p_i = w->w_ph, *p_f = w->w_ph ? w->w_ph + H : NULL, *p_o = w->w_ph ? w->w_ph + 2 * H : NULL;
    float *gp_i = g->w_ph, *gp_f = g->w_ph ? g->w_ph + H : NULL, *gp_o = g->w_ph ? g->w_ph + 2 * H : NULL;

    const float *P = rc__seq_packed_w_hh(d, w->w_hh, work, 1);
    rc__copy_or_zero(B * Ho, dh_n, dh);
    rc__copy_or_zero(B * H, dc_n, dc);
    for (size_t s = T; s-- > 0;) {
        size_t t = rc__seq_time(d, s), at = t * B;
        float *DHt = DH + (d->P ? at * Ho : 0), *Mt = M + (d->P ? at * H : 0);
        /* dh of this step's output: carried + from y, active rows only */
        for (size_t b = 0; b < B; b++) {
            float *dhb = DHt + b * Ho;
            if (!rc__seq_active(d, t, b)) {
                memset(dhb, 0, Ho * sizeof(float));
                continue;
            }
            for (size_t j = 0; j < Ho; j++)
                dhb[j] = dh[b * Ho + j] + (dy ? dy[(at + b) * Ho + j] : 0.0f);
        }
        if (d->P)
            rc__sgemm(0, 0, B, H, Ho, 1.0f, DHt, Ho, w->w_hr, H, 0.0f, dm, H);
        else
            memcpy(dm, DHt, B * H * sizeof(float));
        for (size_t b = 0; b < B; b++) {
            float *da = DG + (at + b) * G;
            if (!rc__seq_active(d, t, b)) {
                memset(da, 0, G * sizeof(float));
                memset(Mt + b * H, 0, H * sizeof(float));
                continue;
            }
            const float *gt = k.gates + (at + b) * G;
            const float *cp = c_before(d, &k, t) + b * H, *cn = c_after(d, &k, t) + b * H;
            float *dcb = dc + b * H, *mb = Mt + b * H;
            rc__tanh(H, cn, mb);
            for (size_t j = 0; j < H; j++) {
                float i = gt[j], f = gt[H + j], gg = gt[2 * H + j], o = gt[3 * H + j];
                float tc = mb[j];
                float dmj = dm[b * H + j];
                mb[j] = o * tc;
                float dao = dmj * tc * o * (1.0f - o);
                float dcj = dcb[j] + dmj * o * (1.0f - tc * tc) + (p_o ? dao * p_o[j] : 0.0f);
                float dai = dcj * gg * i * (1.0f - i);
                float dag = dcj * i * (1.0f - gg * gg);
                float daf = dcj * cp[j] * f * (1.0f - f);
                da[j] = dai, da[H + j] = daf, da[2 * H + j] = dag, da[3 * H + j] = dao;
                dcb[j] = dcj * f + (p_i ? dai * p_i[j] + daf * p_f[j] : 0.0f);
                if (gp_i) {
                    gp_i[j] += dai * cp[j];
                    gp_f[j] += daf * cp[j];
                    gp_o[j] += dao * cn[j];
                }
            }
        }
        if (P)
            rc__gemm_packed(B, Ho, G, DG + at * G, G, P, 0.0f, tmp, Ho);
        else
            rc__sgemm(0, 0, B, Ho, G, 1.0f, DG + at * G, G, w->w_hh, Ho, 0.0f, tmp, Ho);
        rc__seq_copy_active(d, t, Ho, tmp, dh);
    }
    if (g->h0)
        rc__accumulate(B * Ho, dh, g->h0);
    if (g->c0)
        rc__accumulate(B * H, dc, g->c0);
    if (g->w_hh)
        rc__sgemm(1, 0, G, Ho, TB, 1.0f, DG, G, k.hprev, Ho, 1.0f, g->w_hh, Ho);
    if (d->P && g->w_hr)
        rc__sgemm(1, 0, Ho, H, TB, 1.0f, DH, Ho, M, H, 1.0f, g->w_hr, H);
    rc__seq_input_grads(d, w, x, DG, G, 1, g, rc__seq_input_scratch(d, work, 1), NULL);
}
