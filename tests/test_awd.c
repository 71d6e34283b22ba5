/* test_awd.c — AWD-LSTM's regularisers of the language model (Merity et al.
 * 2018), each by what it does: embedding dropout removes whole word types;
 * locked dropout keeps one mask for every step (on the input, between
 * layers, on the output); AR and TAR add exactly a mean(y~^2) and
 * b mean((y_t - y_{t-1})^2); tied weights make the head the embedding.  All
 * are off in evaluation. */
#include "gradcheck.h"
#include "test.h"
#include "../src/models/models.h"

#include <math.h>
#include <string.h>

enum { V = 6, E = 5, T_STEPS = 7, B = 3 };

static int32_t tokens[T_STEPS * B], targets[T_STEPS * B];

static rc_model *lm(rc_model_config *mc, int cell, size_t layers)
{
    mc->task = RC_TASK_LM;
    mc->n_out = V;
    mc->rnn = rc_rnn_config_default(cell, E, E);
    mc->rnn.num_layers = layers;
    rc_rng rng;
    rc_rng_seed(&rng, 3, 3);
    for (size_t i = 0; i < T_STEPS * B; i++)
        tokens[i] = (int32_t)((i * 7 + i / 5) % V), targets[i] = (int32_t)((i * 5 + 1) % V);
    rc_model *m = rc_model_new(mc, &rng);
    T_CHECK(m, "%s", rc_last_error());
    return m;
}

static rc_batch batch(void)
{
    rc_batch b = {0};
    b.T = T_STEPS, b.B = B, b.tokens = tokens, b.targets = targets;
    return b;
}

static const float *embedding_row(rc_model *m, int32_t v)
{
    return rc_params_find(rc_model_params(m), "embed.weight")->data + (size_t)v * E;
}

/* Embedding dropout: every occurrence of a word type reads the same row,
 * all zeros or the embedding scaled by 1/(1-p); some types are dropped. */
static void embedding_dropout(void)
{
    rc_model_config mc = {0};
    mc.dropout_embed = 0.5f;
    rc_model *m = lm(&mc, RC_CELL_LSTM, 1);
    if (!m)
        return;
    rc_rng rng;
    rc_rng_seed(&rng, 11, 0);
    rc_batch b = batch();
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc__model_input(tp, m, &b, &rng), *plain = rc__model_input(tp, m, &b, NULL);
    int state[V] = {0}, consistent = 1, dropped = 0, kept = 0; /* 0 unseen, 1 dropped, 2 kept */
    for (size_t i = 0; i < T_STEPS * B; i++) {
        const float *row = x->data + i * E, *w = embedding_row(m, tokens[i]);
        int zero = 1, scaled = 1;
        for (size_t k = 0; k < E; k++)
            zero &= row[k] == 0.0f, scaled &= fabsf(row[k] - 2.0f * w[k]) < 1e-6f;
        int now = zero ? 1 : scaled ? 2 : -1;
        consistent &= now > 0 && (!state[tokens[i]] || state[tokens[i]] == now);
        state[tokens[i]] = now;
    }
    for (size_t v = 0; v < V; v++)
        dropped += state[v] == 1, kept += state[v] == 2;
    T_CHECK(consistent, "a word type was dropped at some positions and kept (or scaled wrongly) at others");
    T_CHECK(dropped > 0 && kept > 0, "%d types dropped, %d kept", dropped, kept);
    for (size_t i = 0; i < T_STEPS * B; i++)
        T_CHECK(!memcmp(plain->data + i * E, embedding_row(m, tokens[i]), E * sizeof(float)),
                "evaluation's input is not the embedding");
    rc_tape_free(tp);
    rc_model_free(m);
}

/* Locked dropout on the input: mask [B, E], the same at every step. */
static void locked_input(void)
{
    rc_model_config mc = {0};
    mc.dropout_input = 0.5f;
    rc_model *m = lm(&mc, RC_CELL_LSTM, 1);
    if (!m)
        return;
    rc_rng rng;
    rc_rng_seed(&rng, 12, 0);
    rc_batch b = batch();
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc__model_input(tp, m, &b, &rng);
    int same = 1, zeros = 0;
    for (size_t t = 0; t < T_STEPS; t++)
        for (size_t j = 0; j < B; j++)
            for (size_t k = 0; k < E; k++) {
                float got = x->data[(t * B + j) * E + k], w = embedding_row(m, tokens[t * B + j])[k];
                float first = x->data[j * E + k];
                int zero = got == 0.0f;
                zeros += zero;
                same &= (zero == (first == 0.0f)) && (zero || fabsf(got - 2.0f * w) < 1e-6f);
            }
    T_CHECK(same, "the input's mask changes from step to step (or is not 0 and 1/(1-p))");
    T_CHECK(zeros > 0 && zeros < T_STEPS * B * E, "%d of %d inputs dropped", zeros, T_STEPS * B * E);
    rc_tape_free(tp);
    rc_model_free(m);
}

/* rc__locked_dropout: one [B, F] mask broadcast over every step. */
static void locked_helper(void)
{
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T_STEPS, B, E});
    for (size_t i = 0; i < x->size; i++)
        x->data[i] = 1.0f;
    rc_rng rng;
    rc_rng_seed(&rng, 13, 0);
    rc_tensor *y = rc__locked_dropout(tp, x, 0.25f, &rng);
    int ok = y != NULL;
    for (size_t i = 0; ok && i < y->size; i++)
        ok &= y->data[i] == y->data[i % (B * E)] && (y->data[i] == 0.0f || fabsf(y->data[i] - 4.0f / 3.0f) < 1e-6f);
    T_CHECK(ok, "not one mask of 0 and 1/(1-p) for every step");
    T_CHECK(rc__locked_dropout(tp, x, 0.25f, NULL) == x, "dropout without a generator (evaluation)");
    rc_tape_free(tp);
}

/* The network's locked dropout between layers: the two-layer network in
 * training equals its layers run one by one with rc__locked_dropout between
 * them, drawing from the same generator. */
static void locked_between_layers(void)
{
    rc_rnn_config two = rc_rnn_config_default(RC_CELL_GRU, E, E), one = two;
    two.num_layers = 2, two.dropout = 0.4f, two.dropout_locked = 1;
    rc_params *p2 = rc_params_new(), *pa = rc_params_new(), *pb = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 14, 0);
    rc_rnn *net = rc_rnn_new(&two, p2, NULL, &rng), *la = rc_rnn_new(&one, pa, NULL, NULL),
           *lb = rc_rnn_new(&one, pb, NULL, NULL);
    T_CHECK(net && la && lb, "%s", rc_last_error());
    for (size_t i = 0; net && la && lb && i < rc_params_count(pa); i++) {
        char name[64];
        const char *base = rc_params_name(pa, i);
        size_t len = strlen(base) - 1; /* "..._l0" -> "..._l1" */
        memcpy(rc_params_tensor(pa, i)->data, rc_params_find(p2, base)->data,
               rc_params_tensor(pa, i)->size * sizeof(float));
        snprintf(name, sizeof name, "%.*s1", (int)len, base);
        memcpy(rc_params_tensor(pb, i)->data, rc_params_find(p2, name)->data,
               rc_params_tensor(pb, i)->size * sizeof(float));
    }
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T_STEPS, B, E});
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    rc_rng g1, g2;
    rc_rng_seed(&g1, 15, 0), rc_rng_seed(&g2, 15, 0);
    rc_rnn_options o = {0};
    o.dropout_rng = &g1;
    rc_tensor *y = net && la && lb ? rc_rnn_forward(tp, net, x, &o, NULL, NULL) : NULL;
    rc_tensor *mid = la ? rc_rnn_forward(tp, la, x, NULL, NULL, NULL) : NULL;
    rc_tensor *by_hand = lb ? rc_rnn_forward(tp, lb, rc__locked_dropout(tp, mid, 0.4f, &g2), NULL, NULL, NULL) : NULL;
    T_CHECK(y && by_hand && !memcmp(y->data, by_hand->data, y->size * sizeof(float)),
            "the network's dropout between layers is not one locked mask");
    rc_tape_free(tp);
    rc_rnn_free(net), rc_rnn_free(la), rc_rnn_free(lb);
    rc_params_free(p2), rc_params_free(pa), rc_params_free(pb);
}

/* Locked dropout on the output, then AR and TAR: the training loss is the
 * evaluation loss of the same dropped output plus the two penalties,
 * computed here by hand from the network's output. */
static void output_ar_tar(void)
{
    rc_model_config mc = {0};
    mc.dropout_output = 0.3f, mc.ar = 2.0f, mc.tar = 1.5f;
    rc_model *m = lm(&mc, RC_CELL_LSTM, 2);
    if (!m)
        return;
    rc_batch b = batch();
    rc_rng g1, g2;
    rc_rng_seed(&g1, 16, 0), rc_rng_seed(&g2, 16, 0);
    rc_tape *tp = rc_tape_new();
    rc_tensor *logits = NULL;
    rc_tensor *loss = rc_model_loss(tp, m, &b, &g1, &logits, NULL, NULL);
    T_CHECK(loss, "%s", rc_last_error());
    rc_tensor *y = rc_rnn_forward(tp, rc_model_rnn(m), rc__model_input(tp, m, &b, NULL), NULL, NULL, NULL);
    rc_tensor *dropped = rc__locked_dropout(tp, y, 0.3f, &g2);
    rc_params *p = rc_model_params(m);
    rc_tensor *out = rc_linear(tp, dropped, rc_params_find(p, "head.weight"), rc_params_find(p, "head.bias"));
    rc_tensor *nll = rc_cross_entropy(tp, out, targets, -1, RC_REDUCE_MEAN);
    T_CHECK(logits && out && !memcmp(logits->data, out->data, out->size * sizeof(float)),
            "the head did not read the output under one locked mask");
    double ar = 0.0, tar = 0.0;
    size_t W = E;
    for (size_t i = 0; i < dropped->size; i++)
        ar += (double)dropped->data[i] * dropped->data[i];
    for (size_t i = B * W; i < y->size; i++)
        tar += ((double)y->data[i] - y->data[i - B * W]) * ((double)y->data[i] - y->data[i - B * W]);
    double want = nll->data[0] + 2.0 * ar / (double)dropped->size + 1.5 * tar / (double)((T_STEPS - 1) * B * W);
    T_CHECK(loss && fabs(loss->data[0] - want) < 1e-5, "loss %.7g, NLL + AR + TAR by hand %.7g", (double)loss->data[0],
            want);
    rc_tensor *eval = rc_model_loss(tp, m, &b, NULL, NULL, NULL, NULL);
    rc_tensor *plain = rc_cross_entropy(tp, rc_linear(tp, y, rc_params_find(p, "head.weight"),
                                                      rc_params_find(p, "head.bias")),
                                        targets, -1, RC_REDUCE_MEAN);
    T_CHECK(eval && plain && eval->data[0] == plain->data[0], "evaluation adds dropout or penalties");
    rc_tape_free(tp);
    rc_model_free(m);
}

typedef struct {
    rc_model *m;
} tied_ctx;

static rc_tensor *tied_loss(rc_tape *tp, void *ctx)
{
    rc_batch b = batch();
    return rc_model_loss(tp, ((tied_ctx *)ctx)->m, &b, NULL, NULL, NULL, NULL);
}

/* Tied weights: no head.weight; the embedding takes both gradients; the
 * tie survives a file. */
static void tied(void)
{
    rc_model_config mc = {0};
    mc.tie_weights = 1;
    rc_model *m = lm(&mc, RC_CELL_GRU, 1);
    if (!m)
        return;
    rc_params *p = rc_model_params(m);
    T_CHECK(!rc_params_find(p, "head.weight"), "a tied model has its own head.weight");
    rc_tensor *wrt[] = {rc_params_find(p, "embed.weight"), rc_params_find(p, "head.bias")};
    tied_ctx ctx = {m};
    t_gradcheck(tied_loss, &ctx, wrt, 2, (const char *const[]){"embed.weight", "head.bias"}, 0);
    const char *path = t_path("tied.safetensors");
    T_CHECK(rc_model_save(m, path, 0, NULL, NULL) == RC_OK, "%s", rc_last_error());
    rc_model *back = rc_model_load(path, NULL);
    T_CHECK(back && rc_model_config_of(back)->tie_weights, "the tie is lost in the file: %s", rc_last_error());
    if (back) {
        rc_tape *tp = rc_tape_new();
        rc_batch b = batch();
        rc_tensor *l1 = rc_model_loss(tp, m, &b, NULL, NULL, NULL, NULL), *l2 = rc_model_loss(tp, back, &b, NULL, NULL, NULL, NULL);
        T_CHECK(l1 && l2 && l1->data[0] == l2->data[0], "the loaded tied model computes another loss");
        rc_tape_free(tp);
    }
    rc_model_free(back);
    rc_model_free(m);
    mc = (rc_model_config){0};
    mc.tie_weights = 1;
    mc.task = RC_TASK_LM, mc.n_out = V, mc.rnn = rc_rnn_config_default(RC_CELL_GRU, E, E + 1);
    T_CHECK(!rc_model_new(&mc, NULL), "tied weights of widths %d and %d accepted", E + 1, E);
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "tied weights need the network's output width (6)");
}

void suite_awd(void)
{
    t_case("awd: embedding dropout drops whole word types, none in evaluation");
    if (t_selected())
        embedding_dropout();
    t_case("awd: locked dropout on the input keeps one mask for every step");
    if (t_selected())
        locked_input();
    t_case("awd: locked dropout is one [B, F] mask over every step, none without a generator");
    if (t_selected())
        locked_helper();
    t_case("awd: the network's locked dropout between layers is one mask (== layer by layer)");
    if (t_selected())
        locked_between_layers();
    t_case("awd: locked output dropout, AR and TAR add exactly their terms; evaluation adds none");
    if (t_selected())
        output_ar_tar();
    t_case("awd: tied weights: the head is the embedding, in gradients and in files");
    if (t_selected())
        tied();
}
