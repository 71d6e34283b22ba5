/* test_pointer.c — the Pointer Network (src/models/pointer.c) and its
 * tasks: the scores against eq. 3 computed here from the two networks'
 * outputs, gradients by finite differences, padding that changes nothing,
 * decoding against the scores it decodes from, beam search against greedy,
 * valid tours, the convex-hull and tsp generators against their exact
 * answers, the hull's polygon checks, the evaluation's figures against
 * counts made here, and files. */
#include "test.h"

#include "gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PB = 3, PT = 6, PJ = PT + 1, PF = 2 };

/* A small pointer model of cell `cell` over 2-D points; positions > 0:
 * the sequence-to-sequence baseline of that many. */
static rc_model *pointer_model_of(int cell, size_t hidden, size_t layers, uint64_t seed, size_t positions)
{
    rc_model_config c = {0};
    c.task = RC_TASK_POINTER;
    c.n_out = positions;
    c.rnn = rc_rnn_config_default(cell, PF + 1, hidden);
    c.rnn.num_layers = layers;
    rc_rng rng;
    rc_rng_seed(&rng, seed, 0);
    return rc_model_new(&c, &rng);
}

static rc_model *pointer_model(int cell, size_t hidden, size_t layers, uint64_t seed)
{
    return pointer_model_of(cell, hidden, layers, seed, 0);
}

/* A batch of PB hull examples of 4..PT points, padded to PT (padding left
 * at `pad`), its targets the hulls. */
typedef struct {
    float x[PT * PB * PF];
    int32_t len[PB], targets[PJ * PB];
    rc_batch b;
} pbatch;

static void hull_batch(pbatch *p, float pad, int synth)
{
    static const size_t n[PB] = {PT, 4, 5};
    rc_synth_config c = rc_synth_config_default(synth);
    for (size_t k = 0; k < PT * PB * PF; k++)
        p->x[k] = pad;
    for (size_t k = 0; k < PJ * PB; k++)
        p->targets[k] = -1;
    for (size_t s = 0; s < PB; s++) {
        c.min_length = c.max_length = n[s];
        float pts[PT * PF];
        int32_t cls[PJ];
        p->len[s] = (int32_t)rc_synth_example(&c, 11, s, pts, NULL, NULL, cls);
        for (size_t j = 0; j < n[s]; j++)
            memcpy(p->x + (j * PB + s) * PF, pts + j * PF, PF * sizeof(float));
        for (size_t t = 0; t <= n[s] && cls[t] >= 0; t++)
            p->targets[t * PB + s] = cls[t];
    }
    memset(&p->b, 0, sizeof p->b);
    p->b.T = PT, p->b.B = PB, p->b.features = p->x, p->b.lengths = p->len, p->b.targets = p->targets;
}

/* The scores written out: the encoder over [end; points], a decoder of the
 * model's decoder weights over [end; the targets' points] from the
 * encoder's final states, then u_ij = v . tanh(W1 e_j + W2 d_i) in double. */
static void reference_scores(rc_model *m, const pbatch *p, double *u)
{
    const rc_model_config *mc = rc_model_config_of(m);
    rc_params *own = rc_params_new();
    rc_rnn *dec = rc_rnn_new(&mc->rnn, own, "dec.", NULL);
    for (size_t i = 0; i < rc_params_count(own); i++) {
        const rc_tensor *w = rc_params_find(rc_model_params(m), rc_params_name(own, i));
        memcpy(rc_params_tensor(own, i)->data, w->data, w->size * sizeof(float));
    }
    rc_tape *tp = rc_tape_new();
    rc_tape_set_grad_enabled(tp, 0);
    rc_tensor *xe = rc_tape_tensor(tp, 3, (size_t[]){PJ, PB, PF + 1});
    rc_tensor *xd = rc_tape_tensor(tp, 3, (size_t[]){PJ, PB, PF + 1});
    memset(xe->data, 0, xe->size * sizeof(float));
    memset(xd->data, 0, xd->size * sizeof(float));
    int32_t elen[PB], dlen[PB];
    for (size_t s = 0; s < PB; s++) {
        xe->data[s * (PF + 1) + PF] = xd->data[s * (PF + 1) + PF] = 1.0f;
        for (size_t j = 0; j < (size_t)p->len[s]; j++)
            memcpy(xe->data + ((j + 1) * PB + s) * (PF + 1), p->x + (j * PB + s) * PF, PF * sizeof(float));
        size_t i = 0;
        for (; p->targets[i * PB + s] > 0; i++)
            memcpy(xd->data + ((i + 1) * PB + s) * (PF + 1), p->x + ((size_t)(p->targets[i * PB + s] - 1) * PB + s) * PF,
                   PF * sizeof(float));
        elen[s] = p->len[s] + 1, dlen[s] = (int32_t)i + 1;
    }
    rc_tensor *fin[RC_MAX_STATES] = {0};
    rc_rnn_options o = {0};
    o.lengths = elen;
    rc_tensor *e = rc_rnn_forward_states(tp, rc_model_rnn(m), xe, &o, fin);
    rc_rnn_options od = {0};
    od.lengths = dlen, od.states0 = fin;
    rc_tensor *d = rc_rnn_forward_states(tp, dec, xd, &od, NULL);
    const rc_tensor *w1 = rc_params_find(rc_model_params(m), "attn.w1"), *w2 = rc_params_find(rc_model_params(m), "attn.w2");
    const rc_tensor *v = rc_params_find(rc_model_params(m), "attn.v");
    const rc_tensor *ow = rc_params_find(rc_model_params(m), "head.weight"), *ob = rc_params_find(rc_model_params(m), "head.bias");
    size_t H = rc_rnn_output_size(rc_model_rnn(m)), K = mc->n_out;
    for (size_t i = 0; i < PJ; i++)
        for (size_t s = 0; s < PB; s++)
            for (size_t j = 0; j < PJ; j++) {
                double sum = 0.0;
                for (size_t a = 0; !K && a < H; a++) { /* v . tanh(W1 e_j + W2 d_i) */
                    double z = 0.0;
                    for (size_t h = 0; h < H; h++)
                        z += (double)w1->data[a * H + h] * e->data[(j * PB + s) * H + h] +
                             (double)w2->data[a * H + h] * d->data[(i * PB + s) * H + h];
                    sum += v->data[a] * tanh(z);
                }
                for (size_t h = 0; K && j < K && h < H; h++) /* the baseline: W_o d_i + b_o */
                    sum += (double)ow->data[j * H + h] * d->data[(i * PB + s) * H + h] + (h ? 0.0 : ob->data[j]);
                u[(i * PB + s) * PJ + j] = j <= (size_t)p->len[s] && (!K || j < K) ? sum : -1e9;
            }
    rc_tape_free(tp);
    rc_rnn_free(dec);
    rc_params_free(own);
}

static void test_scores(void)
{
    static const int cells[] = {RC_CELL_LSTM, RC_CELL_GRU, RC_CELL_LSTM, RC_CELL_GRU};
    static const size_t positions[] = {0, 0, PJ, PJ + 2};
    for (size_t c = 0; c < 4; c++) {
        if (positions[c])
            t_case("pointer: the sequence-to-sequence baseline of %zu positions, %s: scores == W_o d_i + b_o, the "
                   "decoder as the Pointer Network's, padding masked",
                   positions[c], rc_cell_name(cells[c]));
        else
            t_case("pointer: %s scores == v . tanh(W1 e_j + W2 d_i) over [end; points], decoder from the encoder's "
                   "states reading the targets' points, padding masked",
                   rc_cell_name(cells[c]));
        rc_model *m = pointer_model_of(cells[c], 5, 2, 3, positions[c]);
        pbatch p;
        hull_batch(&p, 0.0f, RC_SYNTH_CONVEX_HULL);
        rc_tape *tp = rc_tape_new();
        rc_tensor *logits = NULL;
        rc_tensor *loss = m ? rc_model_loss(tp, m, &p.b, NULL, &logits, NULL, NULL) : NULL;
        T_CHECK(loss && logits && logits->ndim == 3 && logits->shape[0] == PJ && logits->shape[1] == PB &&
                    logits->shape[2] == PJ,
                "%s", rc_last_error());
        if (loss && logits) {
            double u[PJ * PB * PJ], worst = 0.0, nll = 0.0, rows = 0.0;
            reference_scores(m, &p, u);
            for (size_t i = 0; i < PJ; i++)
                for (size_t s = 0; s < PB; s++) {
                    int32_t want = p.targets[i * PB + s];
                    for (size_t j = 0; j < PJ; j++) {
                        size_t k = (i * PB + s) * PJ + j;
                        if (want >= 0 || j <= (size_t)p.len[s]) /* rows past the answer: anything */
                            worst = fmax(worst, fabs(logits->data[k] - u[k]) / (u[k] < -1e8 ? 1e9 : 1.0));
                    }
                    if (want < 0)
                        continue;
                    double top = -INFINITY, z = 0.0;
                    for (size_t j = 0; j < PJ; j++)
                        top = fmax(top, u[(i * PB + s) * PJ + j]);
                    for (size_t j = 0; j < PJ; j++)
                        z += exp(u[(i * PB + s) * PJ + j] - top);
                    nll += top + log(z) - u[(i * PB + s) * PJ + (size_t)want], rows += 1.0;
                }
            T_CHECK(worst < 1e-5, "scores differ by %g", worst);
            T_CHECK(fabs(loss->data[0] - nll / rows) < 1e-5, "loss %g, the mean NLL of the targets %g",
                    (double)loss->data[0], nll / rows);
        }
        rc_tape_free(tp);
        rc_model_free(m);
    }
}

/* -log p(answer) under m, the decoder reading the answer: the mean
 * cross-entropy times the rows counted. */
static double answer_nll(rc_model *m, const pbatch *p, const int32_t *answer, size_t s)
{
    pbatch one = *p;
    for (size_t k = 0; k < PJ * PB; k++)
        one.targets[k] = k % PB == s ? answer[k] : (k < PB ? 0 : -1); /* the others: the end at once */
    one.b.targets = one.targets;
    rc_tape *tp = rc_tape_new();
    rc_tensor *logits = NULL, *loss = rc_model_loss(tp, m, &one.b, NULL, &logits, NULL, NULL);
    double nll = 0.0;
    for (size_t i = 0; loss && i < PJ; i++) {
        int32_t want = answer[i * PB + s];
        if (want < 0)
            break;
        const float *row = logits->data + (i * PB + s) * PJ;
        double top = -INFINITY, z = 0.0;
        for (size_t j = 0; j < PJ; j++)
            top = fmax(top, row[j]);
        for (size_t j = 0; j < PJ; j++)
            z += exp(row[j] - top);
        nll += top + log(z) - row[want];
    }
    rc_tape_free(tp);
    return loss ? nll : NAN;
}

static void test_decode(void)
{
    rc_model *m = pointer_model(RC_CELL_LSTM, 8, 1, 17); /* answers of several points, one ended, two not */
    rc_tensor *v = m ? rc_params_find(rc_model_params(m), "attn.v") : NULL;
    for (size_t i = 0; v && i < v->size; i++) /* sharper scores: answers that differ between searches */
        v->data[i] *= 6.0f;
    pbatch p;
    hull_batch(&p, 0.0f, RC_SYNTH_CONVEX_HULL);

    t_case("pointer: greedy decoding picks the most likely position at every step (== the scores' argmax, the "
           "decoder reading its own answer as training feeds it), and stops at the end; four models");
    int32_t greedy[PJ * PB], again[PJ * PB];
    int ok = 1;
    for (uint64_t seed = 10; ok && seed < 14; seed++) { /* models of other draws, then the one kept below */
        rc_model *other = pointer_model(RC_CELL_LSTM, 8, 1, seed);
        rc_tensor *ov = other ? rc_params_find(rc_model_params(other), "attn.v") : NULL;
        for (size_t i = 0; ov && i < ov->size; i++)
            ov->data[i] *= 6.0f;
        pbatch own = p;
        ok = other && rc_pointer_decode(other, &p.b, 1, 0, own.targets) == RC_OK;
        own.b.targets = own.targets;
        rc_tape *tp = rc_tape_new();
        rc_tensor *logits = NULL;
        T_CHECK(ok && rc_model_loss(tp, other, &own.b, NULL, &logits, NULL, NULL), "%s", rc_last_error());
        size_t wrong = 0, checked = 0;
        for (size_t k = 0; logits && k < PJ * PB; k++) {
            if (own.targets[k] < 0)
                continue;
            const float *row = logits->data + k * PJ;
            size_t best = 0;
            for (size_t j = 1; j < PJ; j++)
                best = row[j] > row[best] ? j : best;
            wrong += best != (size_t)own.targets[k], checked++;
        }
        T_CHECK(!wrong, "model %llu: %zu of %zu choices are not the argmax", (unsigned long long)seed, wrong, checked);
        rc_tape_free(tp);
        rc_model_free(other);
    }
    ok = ok && m && rc_pointer_decode(m, &p.b, 1, 0, greedy) == RC_OK;
    T_CHECK(ok, "%s", rc_last_error());
    if (ok) {
        pbatch own = p;
        memcpy(own.targets, greedy, sizeof greedy);
        own.b.targets = own.targets;
        rc_tape *tp = rc_tape_new();
        rc_tensor *logits = NULL;
        T_CHECK(rc_model_loss(tp, m, &own.b, NULL, &logits, NULL, NULL), "%s", rc_last_error());
        size_t checked = 0, wrong = 0, ends = 0;
        for (size_t s = 0; logits && s < PB; s++)
            for (size_t i = 0; i < PJ && greedy[i * PB + s] >= 0; i++) {
                const float *row = logits->data + (i * PB + s) * PJ;
                size_t best = 0;
                for (size_t j = 1; j < PJ; j++)
                    best = row[j] > row[best] ? j : best;
                wrong += best != (size_t)greedy[i * PB + s], checked++;
                ends += greedy[i * PB + s] == 0;
                T_CHECK(greedy[i * PB + s] == 0 || i + 1 >= PJ || greedy[i * PB + s] <= p.len[s],
                        "example %zu row %zu points at %d of %d points", s, i, greedy[i * PB + s], p.len[s]);
            }
        T_CHECK(checked > PB && !wrong, "%zu of %zu choices are not the argmax", wrong, checked);
        rc_tape_free(tp);
        T_CHECK(rc_pointer_decode(m, &p.b, 1, 0, again) == RC_OK && !memcmp(greedy, again, sizeof again),
                "decoding twice differs");
    }

    t_case("pointer: padding points past an example's length change neither its scores nor its answers");
    pbatch padded;
    hull_batch(&padded, 0.75f, RC_SYNTH_CONVEX_HULL);
    int32_t got[PJ * PB];
    if (ok) {
        rc_tape *tp = rc_tape_new();
        rc_tensor *a = NULL, *b = NULL;
        rc_model_loss(tp, m, &p.b, NULL, &a, NULL, NULL);
        rc_model_loss(tp, m, &padded.b, NULL, &b, NULL, NULL);
        T_CHECK(a && b && !memcmp(a->data, b->data, a->size * sizeof(float)), "scores differ");
        T_CHECK(rc_pointer_decode(m, &padded.b, 3, 0, got) == RC_OK && rc_pointer_decode(m, &p.b, 3, 0, again) == RC_OK &&
                    !memcmp(got, again, sizeof got),
                "answers differ");
        rc_tape_free(tp);
    }

    t_case("pointer: beam search finds answers at least as likely as greedy's; a beam of 1 is greedy");
    if (ok) {
        int32_t beam[PJ * PB];
        T_CHECK(rc_pointer_decode(m, &p.b, 1, 0, beam) == RC_OK && !memcmp(beam, greedy, sizeof beam), "beam 1");
        T_CHECK(rc_pointer_decode(m, &p.b, 8, 0, beam) == RC_OK, "%s", rc_last_error());
        size_t better = 0;
        for (size_t s = 0; s < PB; s++) {
            int ended_g = 0, ended_b = 0;
            for (size_t i = 0; i < PJ; i++)
                ended_g |= greedy[i * PB + s] == 0, ended_b |= beam[i * PB + s] == 0;
            double g = answer_nll(m, &p, greedy, s), b = answer_nll(m, &p, beam, s);
            T_CHECK(!ended_g || (ended_b && b <= g + 1e-4), "example %zu: beam -log p %g, greedy %g", s, b, g);
            better += b < g - 1e-4;
        }
        if (t_verbose())
            printf("       beam 8 more likely than greedy on %zu of %d examples\n", better, PB);
    }

    t_case("pointer: tours visit every point once, then end; greedily and by beam search");
    if (ok)
        for (size_t beam = 1; beam <= 4; beam += 3) {
            int32_t tour[PJ * PB];
            T_CHECK(rc_pointer_decode(m, &p.b, beam, 1, tour) == RC_OK, "%s", rc_last_error());
            for (size_t s = 0; s < PB; s++) {
                int seen[PJ] = {0}, bad = 0;
                size_t n = (size_t)p.len[s];
                for (size_t i = 0; i < n; i++)
                    bad |= tour[i * PB + s] < 1 || tour[i * PB + s] > (int32_t)n || seen[tour[i * PB + s]]++;
                bad |= tour[n * PB + s] != 0;
                for (size_t i = n + 1; i < PJ; i++)
                    bad |= tour[i * PB + s] != -1;
                T_CHECK(!bad, "beam %zu, example %zu: not a tour of its %zu points", beam, s, n);
            }
        }

    t_case("pointer: decoding refuses a model that is not a pointer network, a beam of 0, too few points");
    rc_model_config lc = {0};
    lc.task = RC_TASK_TAG, lc.n_out = 3, lc.rnn = rc_rnn_config_default(RC_CELL_LSTM, 2, 4);
    rc_rng rng;
    rc_rng_seed(&rng, 1, 1);
    rc_model *tag = rc_model_new(&lc, &rng);
    T_CHECK_ERROR(rc_pointer_decode(tag, &p.b, 1, 0, got), RC_EINVAL, "not a pointer network");
    T_CHECK_ERROR(rc_pointer_decode(m, &p.b, 0, 0, got), RC_EINVAL, "a beam of at least 1");
    pbatch bad = p;
    bad.len[1] = PT + 1;
    bad.b.lengths = bad.len;
    T_CHECK_ERROR(rc_pointer_decode(m, &bad.b, 1, 0, got), RC_EINVAL, "has 7 points, not 1..6");
    rc_model_free(tag);
    rc_model_free(m);
}

typedef struct {
    rc_model *m;
    pbatch *p;
} grad_ctx;

/* The scores' softmax: the masked ones (-1e9) would swamp any sum of the scores. */
static rc_tensor *baseline_probs(rc_tape *tp, void *ctx)
{
    grad_ctx *g = ctx;
    rc_tensor *logits = NULL;
    return rc_model_loss(tp, g->m, &g->p->b, NULL, &logits, NULL, NULL) ? rc_softmax(tp, logits, 2) : NULL;
}

static void test_baseline_limit(void)
{
    t_case("gradcheck: the sequence-to-sequence baseline of 4 positions over batches of up to 6 points, every weight");
    rc_model *g = pointer_model_of(RC_CELL_GRU, 3, 1, 4, 4);
    pbatch gp;
    hull_batch(&gp, 0.0f, RC_SYNTH_CONVEX_HULL);
    for (size_t k = 0; k < PJ * PB; k++)
        gp.targets[k] = gp.targets[k] >= 4 ? 2 : gp.targets[k];
    if (g && t_selected()) {
        grad_ctx ctx = {g, &gp};
        rc_params *pp = rc_model_params(g);
        rc_tensor *wrt[16];
        const char *names[16];
        size_t n = rc_params_count(pp);
        for (size_t i = 0; i < n; i++)
            wrt[i] = rc_params_tensor(pp, i), names[i] = rc_params_name(pp, i);
        t_gradcheck(baseline_probs, &ctx, wrt, n, names, 0);
    }
    rc_model_free(g);

    t_case("pointer: the sequence-to-sequence baseline of 4 positions never points past 3 (scores -1e9 there, "
           "targets there cost ~1e9); a vocabulary of 1 is refused");
    rc_model *m = pointer_model_of(RC_CELL_LSTM, 8, 1, 2, 4);
    pbatch p;
    hull_batch(&p, 0.0f, RC_SYNTH_CONVEX_HULL);
    int32_t got[PJ * PB];
    T_CHECK(m && rc_pointer_decode(m, &p.b, 3, 0, got) == RC_OK, "%s", rc_last_error());
    int past = 0;
    for (size_t k = 0; m && k < PJ * PB; k++)
        past |= got[k] >= 4;
    T_CHECK(!past, "an answer points past position 3");
    rc_tape *tp = rc_tape_new();
    rc_tensor *logits = NULL;
    int beyond = 0;
    for (size_t k = 0; k < PJ * PB; k++)
        if (p.targets[k] >= 4)
            beyond = 1, p.targets[k] = 1;
    T_CHECK(beyond, "the batch has no target past 3: the refusal went unchecked");
    T_CHECK(m && rc_model_loss(tp, m, &p.b, NULL, &logits, NULL, NULL), "%s", rc_last_error());
    for (size_t k = 0; logits && k < logits->size; k++)
        past |= k % PJ >= 4 && logits->data[k] != -1e9f;
    T_CHECK(logits && !past, "a score past position 3 is not -1e9");
    hull_batch(&p, 0.0f, RC_SYNTH_CONVEX_HULL);
    rc_tensor *cost = m ? rc_model_loss(tp, m, &p.b, NULL, NULL, NULL, NULL) : NULL;
    T_CHECK(cost && cost->data[0] > 1e6f, "a target past 3 costs %g nats per pointer, not ~1e9 / rows",
            cost ? (double)cost->data[0] : -1.0);
    rc_tape_free(tp);
    rc_model_free(m);
    T_CHECK(!pointer_model_of(RC_CELL_LSTM, 8, 1, 2, 1), "one position accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "needs at least 2 positions");
}

static void test_config_errors(void)
{
    t_case("pointer: a bidirectional encoder, locked dropout, an input of 1, targets out of range are refused by "
           "name");
    rc_model_config c = {0};
    c.task = RC_TASK_POINTER;
    c.rnn = rc_rnn_config_default(RC_CELL_GRU, 3, 4);
    rc_rng rng;
    rc_rng_seed(&rng, 1, 1);
    c.rnn.bidirectional = 1;
    T_CHECK(!rc_model_new(&c, &rng), "bidirectional accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "cannot be bidirectional");
    c.rnn.bidirectional = 0, c.dropout_output = 0.5f;
    T_CHECK(!rc_model_new(&c, &rng), "locked dropout accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "not locked dropout");
    c.dropout_output = 0.0f, c.rnn.input_size = 1;
    T_CHECK(!rc_model_new(&c, &rng), "input 1 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "input size at least 2");
    c.rnn.input_size = 3;
    rc_model *m = rc_model_new(&c, &rng);
    pbatch p;
    hull_batch(&p, 0.0f, RC_SYNTH_CONVEX_HULL);
    p.targets[1 * PB + 1] = 5; /* example 1 has 4 points */
    rc_tape *tp = rc_tape_new();
    T_CHECK(m && !rc_model_loss(tp, m, &p.b, NULL, NULL, NULL, NULL), "a target past the points accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "example 1 points at position 5 of 4");
    hull_batch(&p, 0.0f, RC_SYNTH_CONVEX_HULL);
    p.targets[PJ * PB - 1] = 1; /* after example 2's end */
    T_CHECK(m && !rc_model_loss(tp, m, &p.b, NULL, NULL, NULL, NULL), "a target after the end accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "targets after its end");
    rc_tape_free(tp);
    rc_model_free(m);
}

/* ------------------------------------------------------------ tasks */

static void test_tasks(void)
{
    t_case("task convex-hull: points in the unit square; targets the hull (rc_convex_hull) counter-clockwise from "
           "its lowest index, 1-based, then 0, then -1");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_CONVEX_HULL);
    T_CHECK(c.min_length == 5 && c.max_length == 10 && rc_synth_inputs(&c) == 2 && rc_synth_outputs(&c) == 0 &&
                rc_synth_task(&c) == RC_TASK_POINTER && rc_synth_max_steps(&c) == 11,
            "the paper's 5-10 points, 2 inputs, pointer task, 11 target rows");
    int sizes[11] = {0};
    for (uint64_t i = 0; i < 100; i++) {
        float x[20];
        int32_t cls[11], hull[10];
        for (size_t k = 0; k < 11; k++)
            cls[k] = -7;
        size_t n = rc_synth_example(&c, 4, i, x, NULL, NULL, cls), m = n ? rc_convex_hull(x, n, hull) : 0, bad = 0;
        sizes[n <= 10 ? n : 0] = 1;
        for (size_t k = 0; k < 2 * n; k++)
            bad += !(x[k] >= 0.0f && x[k] < 1.0f);
        for (size_t t = 0; t < m; t++)
            bad += cls[t] != hull[t] + 1;
        bad += cls[m] != 0;
        for (size_t t = m + 1; t <= n; t++)
            bad += cls[t] != -1;
        bad += n < 10 && cls[n + 1] != -7; /* nothing written past the example's rows */
        T_CHECK(n >= 5 && n <= 10 && !bad, "example %llu: %zu points, %zu wrong", (unsigned long long)i, n, bad);
        T_CHECK(rc_polygon_area(x, hull, m) > 0, "example %llu: hull clockwise", (unsigned long long)i);
    }
    T_CHECK(sizes[5] && sizes[10], "sizes 5 and 10 both drawn");

    t_case("task tsp: targets an optimal tour (Held-Karp) from point 1, its second point the lower of its two "
           "neighbours, then 0; more than 20 points refused");
    rc_synth_config tsp = rc_synth_config_default(RC_SYNTH_TSP);
    tsp.min_length = 5, tsp.max_length = 8;
    for (uint64_t i = 0; i < 40; i++) {
        float x[16];
        int32_t cls[9], best[8];
        size_t n = rc_synth_example(&tsp, 9, i, x, NULL, NULL, cls);
        double opt = n ? rc_tsp_optimal(x, n, best) : -1;
        int32_t tour[8];
        for (size_t t = 0; t < n; t++)
            tour[t] = cls[t] - 1;
        T_CHECK(n >= 5 && cls[0] == 1 && cls[1] < cls[n - 1] && cls[n] == 0 &&
                    fabs(rc_tour_length(x, tour, n) - opt) < 1e-9 && !memcmp(tour, best, n * sizeof *tour),
                "example %llu", (unsigned long long)i);
    }
    tsp.max_length = 21;
    T_CHECK_ERROR(rc_synth_check(&tsp), RC_EINVAL, "take at most 20");
    c.max_length = RC_POINTER_MAX_POINTS + 1;
    T_CHECK_ERROR(rc_synth_check(&c), RC_EINVAL, "at most 1000");

    t_case("rc_polygon_simple: a square and a triangle are; a bow tie, a repeated vertex, a spike back along an "
           "edge, a flat triangle, an edge through a vertex and two points are not; an L (concave) is");
    const float pts[] = {0, 0, 1, 0, 1, 1, 0, 1, 0.5f, 0, 2, 0};
    T_CHECK(rc_polygon_simple(pts, (int32_t[]){0, 1, 2, 3}, 4), "square");
    T_CHECK(rc_polygon_simple(pts, (int32_t[]){0, 2, 3}, 3), "triangle");
    T_CHECK(!rc_polygon_simple(pts, (int32_t[]){0, 2, 1, 3}, 4), "bow tie");
    T_CHECK(!rc_polygon_simple(pts, (int32_t[]){0, 1, 2, 1}, 4), "repeated vertex");
    T_CHECK(!rc_polygon_simple(pts, (int32_t[]){0, 1, 4, 2, 3}, 5), "spike: 1 -> (0.5, 0) runs back along 0 -> 1");
    T_CHECK(!rc_polygon_simple(pts, (int32_t[]){0, 4, 5}, 3), "flat");
    T_CHECK(!rc_polygon_simple(pts, (int32_t[]){0, 1}, 2), "two points");
    T_CHECK(!rc_polygon_simple(pts, (int32_t[]){0, 5, 2, 1}, 4), "an edge through a vertex: 0 -> 5 over 1");
    T_CHECK(rc_polygon_simple(pts, (int32_t[]){0, 1, 5, 2, 3}, 5), "a straight angle at 1 is still simple");
    /* an L: edge (0,0)-(3,0) straddles the line of edge (1,1)-(1,3), which does not reach it */
    const float ell[] = {0, 0, 3, 0, 3, 1, 1, 1, 1, 3, 0, 3};
    T_CHECK(rc_polygon_simple(ell, (int32_t[]){0, 1, 2, 3, 4, 5}, 6), "an L");
}

/* ------------------------------------------------------------ evaluation */

static void test_evaluation(void)
{
    t_case("pointer: rc_evaluate's exact answers, invalid share, coverage (convex-hull) and tour lengths (tsp) == "
           "counts made here from rc_pointer_decode");
    /* a model trained a little on hulls of 3-5 points: valid answers (coverage below 1 too) beside invalid ones */
    rc_model *m = pointer_model(RC_CELL_GRU, 16, 1, 9);
    rc_synth_config small = rc_synth_config_default(RC_SYNTH_CONVEX_HULL);
    small.min_length = 3, small.max_length = 5;
    rc_dataset *train = rc_dataset_synth(&small, 3200, 5, 1);
    rc_train_config tc = rc_train_config_default();
    tc.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 1e-2f);
    tc.epochs = 6;
    T_CHECK(m && train && rc_train(m, train, NULL, &tc, NULL, NULL) == RC_OK, "%s", rc_last_error());
    rc_dataset_free(train);
    int some_valid = 0;
    for (int kind = RC_SYNTH_CONVEX_HULL; m && kind <= RC_SYNTH_TSP; kind++) {
        rc_synth_config c = rc_synth_config_default(kind);
        c.min_length = 3, c.max_length = 6;
        enum { N = 48 };
        rc_dataset *d = rc_dataset_synth(&c, N, 21, 0);
        rc_eval_result r;
        T_CHECK(d && rc_evaluate_beam(m, d, 5, 1, 2, &r) == RC_OK, "%s", rc_last_error());
        double exact = 0, invalid = 0, coverage = 0, valid = 0, tour = 0, optimal = 0;
        for (size_t i = 0; i < N; i++) { /* one example at a time */
            pbatch p;
            memset(&p, 0, sizeof p);
            float x[12];
            int32_t cls[7], got[7];
            T_CHECK(rc_synth_check(&c) == RC_OK, "%s", rc_last_error());
            size_t n = rc_synth_example(&c, 21, i, x, NULL, NULL, cls);
            p.b.T = n, p.b.B = 1, p.b.features = x;
            T_CHECK(rc_pointer_decode(m, &p.b, 2, kind == RC_SYNTH_TSP, got) == RC_OK, "%s", rc_last_error());
            int32_t answer[7], truth[7];
            size_t a = 0, t = 0, ended = 0, same = 1;
            for (size_t k = 0; k <= n; k++) {
                same &= got[k] == cls[k];
                ended |= got[k] == 0;
                if (got[k] > 0 && !ended)
                    answer[a++] = got[k] - 1;
                if (cls[k] > 0)
                    truth[t++] = cls[k] - 1;
            }
            exact += same;
            if (kind == RC_SYNTH_TSP)
                tour += rc_tour_length(x, answer, a), optimal += rc_tour_length(x, truth, t);
            else if (ended && rc_polygon_simple(x, answer, a))
                valid++, coverage += fabs(rc_polygon_area(x, answer, a) / rc_polygon_area(x, truth, t));
            else
                invalid++;
        }
        some_valid |= valid > 0 && invalid > 0 && coverage < valid - 0.1;
        if (kind == RC_SYNTH_CONVEX_HULL)
            T_CHECK(fabs(r.exact - exact / N) < 1e-9 && fabs(r.invalid - invalid / N) < 1e-9 &&
                        (valid ? fabs(r.coverage - coverage / valid) < 1e-9 : isnan(r.coverage)) && isnan(r.tour),
                    "hull: exact %g (%g), invalid %g (%g), coverage %g (%g)", r.exact, exact / N, r.invalid,
                    invalid / N, r.coverage, valid ? coverage / valid : NAN);
        else
            T_CHECK(fabs(r.exact - exact / N) < 1e-9 && fabs(r.tour - tour / N) < 1e-9 &&
                        fabs(r.optimal - optimal / N) < 1e-9 && r.tour >= r.optimal - 1e-9 && isnan(r.coverage),
                    "tsp: exact %g (%g), tour %g (%g), optimal %g (%g)", r.exact, exact / N, r.tour, tour / N,
                    r.optimal, optimal / N);
        T_CHECK(r.sequences == N && r.accuracy >= 0 && r.accuracy <= 1, "%g sequences, accuracy %g", r.sequences,
                r.accuracy);
        if (t_verbose())
            printf("       %s: exact %.3f, invalid %.3f, coverage %.3f, tour %.3f / %.3f\n", rc_synth_name(kind),
                   r.exact, r.invalid, r.coverage, r.tour, r.optimal);
        rc_dataset_free(d);
    }
    T_CHECK(some_valid, "the hulls decoded were all valid, all invalid or all covered: the figures went unchecked");
    rc_model_free(m);
}

void suite_pointer(void)
{
    test_scores();
    test_decode();
    test_baseline_limit();
    test_config_errors();
    test_tasks();
    test_evaluation();
}
