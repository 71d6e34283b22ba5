/* test_io.c — safetensors files and recurrent model files: round trips, and
 * malformed files (truncated, lying headers, offsets out of range, wrong
 * shapes for the architecture, huge dimensions) that must give a clear error
 * and never a crash. */
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes a safetensors file from a header and `data_bytes` bytes of data
 * (a ramp), with header_len declared (or the real length when 0). */
static void write_raw(const char *name, const char *header, size_t data_bytes, uint64_t header_len)
{
    FILE *f = fopen(t_path(name), "wb");
    uint64_t n = header_len ? header_len : strlen(header);
    for (int i = 0; i < 8; i++)
        fputc((int)((n >> (8 * i)) & 0xff), f);
    fputs(header, f);
    for (size_t i = 0; i < data_bytes; i++)
        fputc((int)(i & 0x3f), f);
    fclose(f);
}

static void test_round_trip(void)
{
    t_case("io: safetensors save then load gives the same tensors and metadata");
    rc_rng rng;
    rc_rng_seed(&rng, 1, 1);
    rc_tensor *a = rc_tensor_new(2, (size_t[]){3, 4}), *b = rc_tensor_new(1, (size_t[]){5});
    rc_tensor_fill_normal(a, &rng, 0, 1);
    rc_tensor_fill_normal(b, &rng, 0, 1);
    const char *names[] = {"a", "b.weight"};
    const rc_tensor *ts[] = {a, b};
    const char *keys[] = {"k"}, *vals[] = {"v"};
    T_CHECK(rc_safetensors_save(t_path("rt.safetensors"), 2, names, ts, 1, keys, vals) == RC_OK,
            "%s", rc_last_error());
    rc_safetensors *st = rc_safetensors_load(t_path("rt.safetensors"));
    T_CHECK(st, "%s", rc_last_error());
    if (st) {
        rc_tensor *a2 = rc_safetensors_tensor(st, "a"), *b2 = rc_safetensors_tensor(st, "b.weight");
        T_CHECK(a2 && b2 && rc_tensor_same_shape(a, a2) && !memcmp(a->data, a2->data, 12 * 4) &&
                    !memcmp(b->data, b2->data, 5 * 4),
                "values differ");
        T_CHECK(!strcmp(rc_safetensors_metadata(st, "k"), "v") && !rc_safetensors_metadata(st, "x"),
                "metadata");
        T_CHECK(!strcmp(rc_safetensors_dtype(st, 0), "F32"), "dtype");
        rc_tensor_free(a2), rc_tensor_free(b2);
    }
    rc_safetensors_free(st);
    T_CHECK(access(t_path("rt.safetensors.tmp"), F_OK) != 0, "temporary file left behind");

    t_case("io: saving into a missing folder fails cleanly and leaves nothing");
    T_CHECK(rc_safetensors_save(t_path("no/such/dir/x.safetensors"), 2, names, ts, 0, NULL, NULL) ==
                RC_EIO,
            "status %d", rc_last_status());
    T_CHECK(strstr(rc_last_error(), "cannot write"), "%s", rc_last_error());
    rc_tensor_free(a), rc_tensor_free(b);

    static const int cells[] = {RC_CELL_RNN_RELU, RC_CELL_LSTM, RC_CELL_GRU_RESET_BEFORE};
    for (int k = 0; k < 3; k++) {
        t_case("io: rc_rnn_save then rc_rnn_load keeps a %s's configuration and weights",
               rc_cell_name(cells[k]));
        rc_rnn_config cfg = rc_rnn_config_default(cells[k], 3, 5);
        cfg.num_layers = 2, cfg.bidirectional = 1, cfg.residual = k == 0, cfg.dropout = 0.25f;
        if (cells[k] == RC_CELL_LSTM)
            cfg.proj_size = 2, cfg.peephole = 1;
        rc_params *p = rc_params_new();
        rc_rnn *rnn = rc_rnn_new(&cfg, p, "encoder.", &rng);
        T_CHECK(rnn && rc_rnn_save(rnn, t_path("m.safetensors")) == RC_OK, "%s", rc_last_error());
        rc_rnn *back = rc_rnn_load(t_path("m.safetensors"), -1);
        T_CHECK(back, "%s", rc_last_error());
        if (back) {
            const rc_rnn_config *c = rc_rnn_config_of(back);
            T_CHECK(c->cell == cfg.cell && c->input_size == cfg.input_size &&
                        c->hidden_size == cfg.hidden_size && c->num_layers == cfg.num_layers &&
                        c->bidirectional == cfg.bidirectional && c->bias == cfg.bias &&
                        c->proj_size == cfg.proj_size && c->peephole == cfg.peephole &&
                        c->dropout == cfg.dropout && c->residual == cfg.residual,
                    "configuration differs");
            rc_params *q = rc_rnn_params(back);
            T_CHECK(rc_params_numel(q) == rc_params_numel(p) &&
                        !memcmp(rc_params_values(q), rc_params_values(p),
                                rc_params_numel(p) * sizeof(float)),
                    "weights differ");
        }
        rc_rnn_free(back);
        rc_rnn_free(rnn);
        rc_params_free(p);
    }
}

/* Half, bfloat16, double and integer elements convert to float exactly. */
static void test_dtypes(void)
{
    t_case("io: F16 (normal, subnormal, largest, infinity), BF16, F64, I64 and I32 convert exactly");
    static const unsigned char bytes[] = {
        0x00, 0x3C, 0x00, 0xC1, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x7C, /* F16 1, -2.5, 65504, 2^-24, inf */
        0x80, 0x3F, 0x20, 0xC0,                                     /* BF16 1, -2.5 */
        0, 0, 0, 0, 0, 0, 0x04, 0xC0,                               /* F64 -2.5 */
        0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,             /* I64 -3 */
        0x07, 0, 0, 0};                                             /* I32 7 */
    FILE *f = fopen(t_path("types.safetensors"), "wb");
    const char *header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                         "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[10,14]},"
                         "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[14,22]},"
                         "\"l\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[22,30]},"
                         "\"i\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[30,34]}}";
    uint64_t n = strlen(header);
    for (int i = 0; i < 8; i++)
        fputc((int)((n >> (8 * i)) & 0xff), f);
    fputs(header, f);
    fwrite(bytes, 1, sizeof bytes, f);
    fclose(f);
    rc_safetensors *st = rc_safetensors_load(t_path("types.safetensors"));
    T_CHECK(st, "%s", rc_last_error());
    if (!st)
        return;
    rc_tensor *h = rc_safetensors_tensor(st, "h"), *b = rc_safetensors_tensor(st, "b");
    rc_tensor *d = rc_safetensors_tensor(st, "d"), *l = rc_safetensors_tensor(st, "l");
    rc_tensor *i = rc_safetensors_tensor(st, "i");
    T_CHECK(h && h->data[0] == 1.0f && h->data[1] == -2.5f && h->data[2] == 65504.0f &&
                h->data[3] == 0x1p-24f && isinf(h->data[4]),
            "F16");
    T_CHECK(b && b->data[0] == 1.0f && b->data[1] == -2.5f, "BF16");
    T_CHECK(d && d->ndim == 1 && d->size == 1 && d->data[0] == -2.5f, "F64 scalar");
    T_CHECK(l && l->data[0] == -3.0f && i && i->ndim == 2 && i->data[0] == 7.0f, "integers");
    rc_tensor_free(h), rc_tensor_free(b), rc_tensor_free(d), rc_tensor_free(l), rc_tensor_free(i);
    rc_safetensors_free(st);
    remove(t_path("types.safetensors"));
}

static void test_bad_files(void)
{
    static const struct {
        const char *what, *header;
        size_t data;
        uint64_t declared;
        int status;
        const char *needle;
    } bad[] = {
        {"a file shorter than 8 bytes", NULL, 0, 0, RC_EFORMAT, "too short"},
        {"a header length past the end", "{}", 0, 1000, RC_EFORMAT, "does not fit"},
        {"a header length of 2^63", "{}", 0, (uint64_t)1 << 63, RC_EFORMAT, "does not fit"},
        {"a header that is not JSON", "{\"a\": ", 0, 0, RC_EFORMAT, "not a JSON object"},
        {"a header that is a JSON array", "[1, 2]", 0, 0, RC_EFORMAT, "not a JSON object"},
        {"a tensor without data_offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, 0, RC_EFORMAT,
         "'w' needs dtype, shape and data_offsets"},
        {"an unknown dtype", "{\"w\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, 0,
         RC_EFORMAT, "unknown dtype 'F31'"},
        {"offsets past the data", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
         0, RC_EFORMAT, "not a range inside the 4 data bytes"},
        {"offsets reversed", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, 0,
         RC_EFORMAT, "not a range"},
        {"a byte count that disagrees with the shape",
         "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0, RC_EFORMAT,
         "8 bytes of data for 3 elements of F32"},
        {"huge dimensions that overflow",
         "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}", 4, 0,
         RC_EFORMAT, "shape overflows"},
        {"a negative dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
         0, RC_EFORMAT, "dimension 0 is not a size"},
        {"a fractional offset", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}", 8,
         0, RC_EFORMAT, "not a range"},
        {"a name given twice",
         "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         4, 0, RC_EFORMAT, "'w' appears twice"},
        {"__metadata__ that is not an object", "{\"__metadata__\":[1]}", 0, 0, RC_EFORMAT,
         "__metadata__ is not an object"},
        {"__metadata__ with a value that is not a string", "{\"__metadata__\":{\"cell\":\"gru\",\"k\":[1]}}", 0, 0,
         RC_EFORMAT, "__metadata__ 'k' is not a string"},
        {"two tensors sharing bytes",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         4, 0, RC_EFORMAT, "(data bytes 0..4) overlaps tensor"},
        {"overlapping ranges",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         12, 0, RC_EFORMAT, "tensor 'b' (data bytes 4..12) overlaps tensor 'a'"},
        {"a hole between tensors",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
         12, 0, RC_EFORMAT, "data bytes 4..8 belong to no tensor (before 'b')"},
        {"bytes after the last tensor", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, 0,
         RC_EFORMAT, "data bytes 4..8 belong to no tensor (after the last)"},
        {"9 dimensions", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, 0,
         RC_EUNSUPPORTED, "has 9 dimensions (at most 8)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_case("io: %s is refused with a message naming the file", bad[i].what);
        if (bad[i].header)
            write_raw("bad.safetensors", bad[i].header, bad[i].data, bad[i].declared);
        else {
            FILE *f = fopen(t_path("bad.safetensors"), "wb");
            fputs("abc", f);
            fclose(f);
        }
        rc_safetensors *st = rc_safetensors_load(t_path("bad.safetensors"));
        T_CHECK(!st, "accepted");
        rc_safetensors_free(st);
        T_CHECK_ERROR(rc_last_status(), bad[i].status, bad[i].needle);
        T_CHECK(strstr(rc_last_error(), "bad.safetensors"), "no file name: %s", rc_last_error());
        /* The model loader goes through the same reader. */
        T_CHECK(!rc_rnn_load(t_path("bad.safetensors"), -1), "model loader accepted it");
    }

    /* what people hand a safetensors reader by mistake: torch.save's zip, a pickle, text */
    static const struct {
        const char *what, *bytes;
        size_t n;
        const char *needle;
    } foreign[] = {
#define BYTES(literal) literal, sizeof literal - 1
        {"a torch.save zip archive", BYTES("PK\003\004\024\000\000\000\010\000archive/data.pkl"),
         "not a safetensors file (it is a zip archive, as torch.save writes); export PyTorch weights"},
        {"a Python pickle", BYTES("\200\002}q\000(X\006\000\000\000weight"), "not a safetensors file (it is a Python pickle)"},
        {"a text file", BYTES("weight_ih_l0 = [0.1, 0.2]\n"), "not a safetensors file; export PyTorch weights with"},
#undef BYTES
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        t_case("io: %s is named not a safetensors file, with what to do", foreign[i].what);
        FILE *f = fopen(t_path("foreign.bin"), "wb");
        fwrite(foreign[i].bytes, 1, foreign[i].n, f);
        fclose(f);
        rc_safetensors *st = rc_safetensors_load(t_path("foreign.bin"));
        T_CHECK(!st, "accepted");
        rc_safetensors_free(st);
        T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, foreign[i].needle);
    }

    t_case("io: a missing file");
    T_CHECK(!rc_rnn_load(t_path("missing.safetensors"), -1), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EIO, "cannot open");
}

/* Model-level problems: tensors that are well-formed but do not make a
 * network. */
static void test_bad_models(void)
{
#define GRU_L0(ih_rows, hh_cols) \
    "\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[" #ih_rows ",2],\"data_offsets\":[0,24]}," \
    "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[3," #hh_cols "],\"data_offsets\":[24,36]}"
    static const struct {
        const char *what, *header;
        size_t data;
        const char *needle;
    } bad[] = {
        {"no recurrent weights at all", "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         4, "no tensor named weight_ih_l0"},
        {"a gate count of 2", "{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                              "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[24,32]}}",
         32, "G = 1, 3 or 4 gates"},
        {"input and recurrent rows that differ",
         "{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[6,2],\"data_offsets\":[0,48]},"
         "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[48,60]}}",
         60, "are not [G*H, I]"},
        {"metadata naming a cell of another gate count",
         "{\"__metadata__\":{\"cell\":\"lstm\"}," GRU_L0(3, 1) "}", 36, "a lstm has 4 gates"},
        {"a negative size in the metadata (a fuzzing find: it crashed)",
         "{\"__metadata__\":{\"cell\":\"gru\",\"input_size\":\"2\",\"hidden_size\":\"1\",\"num_layers\":\"1\","
         "\"proj_size\":\"-\"}," GRU_L0(3, 1) "}",
         36, "metadata 'proj_size' is '-', not a size"},
        {"a negative hidden size in the metadata",
         "{\"__metadata__\":{\"cell\":\"gru\",\"input_size\":\"2\",\"hidden_size\":\"-1\",\"num_layers\":\"1\"},"
         GRU_L0(3, 1) "}",
         36, "metadata 'hidden_size' is '-1', not a size"},
        {"an unknown metadata cell", "{\"__metadata__\":{\"cell\":\"transformer\"}," GRU_L0(3, 1) "}", 36,
         "metadata cell 'transformer'"},
        {"a missing bias_hh", "{" GRU_L0(3, 1) ",\"bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[36,48]}}",
         48, "'bias_hh_l0' is missing"},
        {"a wrongly shaped bias",
         "{" GRU_L0(3, 1) ",\"bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[36,44]},"
         "\"bias_hh_l0\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[44,56]}}",
         56, "'bias_ih_l0' has shape [2] but a 1-layer gru with input 2 and hidden size 1 needs [3]"},
        {"a stray second-layer weight",
         "{" GRU_L0(3, 1) ",\"weight_hh_l1\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[36,48]}}", 48,
         "'weight_hh_l1' does not belong"},
        {"two networks in one file",
         "{\"a.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]},"
         "\"b.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[24,48]}}",
         48, "holds two recurrent networks"},
        {"peephole metadata without peephole weights",
         "{\"__metadata__\":{\"peephole\":\"1\"},"
         "\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4,2],\"data_offsets\":[0,32]},"
         "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[32,48]}}",
         48, "weight_ph_l0 is missing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_case("io: a model file with %s is refused", bad[i].what);
        write_raw("model.safetensors", bad[i].header, bad[i].data, 0);
        rc_rnn *rnn = rc_rnn_load(t_path("model.safetensors"), -1);
        T_CHECK(!rnn, "accepted");
        rc_rnn_free(rnn);
        T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, bad[i].needle);
    }

    t_case("io: a good GRU header loads, prefixed, with other tensors ignored");
    write_raw("model.safetensors",
              "{\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]},"
              "\"rnn.weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[24,36]},"
              "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[36,40]}}",
              40, 0);
    rc_rnn *rnn = rc_rnn_load(t_path("model.safetensors"), -1);
    T_CHECK(rnn && rc_rnn_config_of(rnn)->cell == RC_CELL_GRU && !rc_rnn_config_of(rnn)->bias,
            "%s", rc_last_error());
    rc_rnn_free(rnn);
    t_case("io: the cell can be chosen when the file cannot tell");
    rnn = rc_rnn_load(t_path("model.safetensors"), RC_CELL_GRU_RESET_BEFORE);
    T_CHECK(rnn && rc_rnn_config_of(rnn)->cell == RC_CELL_GRU_RESET_BEFORE, "%s", rc_last_error());
    rc_rnn_free(rnn);
    rnn = rc_rnn_load(t_path("model.safetensors"), RC_CELL_LSTM);
    T_CHECK(!rnn, "an LSTM override on GRU weights accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "a lstm has 4 gates");
}

void suite_io(void)
{
    test_round_trip();
    test_dtypes();
    test_bad_files();
    test_bad_models();
}
