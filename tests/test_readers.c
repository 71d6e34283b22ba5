/* test_readers.c — piano rolls and text vocabularies, on small files the
 * tests write and on the shared data sets (checked against the counts their
 * README publishes; skipped when the data is absent). */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(t_path(name), "wb");
    fputs(text, f);
    fclose(f);
}

static void test_rolls(void)
{
    t_case("rolls: steps, silent steps and keys from the text format");
    write_text("r.txt", "60 64;;21 108\n72\n");
    rc_rolls *r = rc_rolls_load_text(t_path("r.txt"));
    T_CHECK(r, "%s", rc_last_error());
    if (r) {
        T_CHECK(rc_rolls_count(r) == 2 && rc_rolls_length(r, 0) == 3 && rc_rolls_length(r, 1) == 1 &&
                    rc_rolls_total_steps(r) == 4,
                "counts");
        const float *f = rc_rolls_frames(r, 0);
        float sum1 = 0;
        for (int k = 0; k < RC_PIANO_KEYS; k++)
            sum1 += f[RC_PIANO_KEYS + k];
        T_CHECK(f[60 - 21] == 1 && f[64 - 21] == 1 && f[61 - 21] == 0 && sum1 == 0 &&
                    f[2 * RC_PIANO_KEYS + 0] == 1 && f[2 * RC_PIANO_KEYS + 87] == 1,
                "frames");
        T_CHECK(rc_rolls_frames(r, 1)[72 - 21] == 1, "second sequence");
    }
    rc_rolls_free(r);

    static const struct {
        const char *what, *text, *needle;
    } bad[] = {
        {"a pitch below the piano", "60;20\n", "line 1, step 2: pitch 20 is outside"},
        {"a pitch above the piano", "60\n61;109\n", "line 2, step 2: pitch 109"},
        {"a letter", "60 6x\n", "line 1, step 1: '6x' is not a pitch"},
        {"an empty line between sequences", "60\n\n61\n", "line 2 is empty"},
        {"an empty file", "\n", "no sequences"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_case("rolls: %s is refused", bad[i].what);
        write_text("bad.txt", bad[i].text);
        r = rc_rolls_load_text(t_path("bad.txt"));
        T_CHECK(!r, "accepted");
        rc_rolls_free(r);
        T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, bad[i].needle);
    }

    /* ../shared/data/README.md: sequences, time steps and on-cells per split. */
    static const struct {
        const char *file;
        size_t sequences, steps, notes;
    } sets[] = {
        {"music/jsb_chorales/train.txt", 229, 13807, 53824},
        {"music/jsb_chorales/valid.txt", 76, 4602, 17811},
        {"music/jsb_chorales/test.txt", 77, 4725, 18367},
        {"music/nottingham/test.txt", 170, 44463, 177421},
        {"music/musedata/valid.txt", 135, 82755, 287893},
        {"music/piano_midi/train.txt", 87, 75911, 231089},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        t_case("rolls: %s has the published counts", sets[i].file);
        const char *path = t_data(sets[i].file);
        if (!path)
            continue;
        r = rc_rolls_load_text(path);
        T_CHECK(r, "%s", rc_last_error());
        if (!r)
            continue;
        double notes = 0;
        for (size_t s = 0; s < rc_rolls_count(r); s++)
            for (size_t k = 0; k < rc_rolls_length(r, s) * RC_PIANO_KEYS; k++)
                notes += rc_rolls_frames(r, s)[k];
        T_CHECK(rc_rolls_count(r) == sets[i].sequences && rc_rolls_total_steps(r) == sets[i].steps &&
                    notes == (double)sets[i].notes,
                "%zu sequences, %zu steps, %.0f notes", rc_rolls_count(r), rc_rolls_total_steps(r),
                notes);
        rc_rolls_free(r);
    }
}

static void test_vocab(void)
{
    t_case("vocab: words, <eos> per line, <unk> for unseen words");
    const char *train = " the cat sat \n the dog\n";
    rc_vocab *v = rc_vocab_build(RC_TEXT_WORD, train, strlen(train));
    T_CHECK(v && rc_vocab_size(v) == 2 + 4, "size %zu", v ? rc_vocab_size(v) : 0);
    int32_t *ids = NULL;
    size_t n = 0;
    const char *valid = "the bird sat";
    T_CHECK(v && rc_vocab_encode(v, valid, strlen(valid), &ids, &n) == RC_OK && n == 4, "encode");
    if (ids && n == 4)
        T_CHECK(!strcmp(rc_vocab_token(v, ids[0]), "the") && !strcmp(rc_vocab_token(v, ids[1]), "<unk>") &&
                    !strcmp(rc_vocab_token(v, ids[2]), "sat") && !strcmp(rc_vocab_token(v, ids[3]), "<eos>"),
                "tokens");
    free(ids);

    t_case("vocab: the JSON round trip keeps every id");
    char *json = v ? rc_vocab_to_json(v) : NULL;
    rc_vocab *back = json ? rc_vocab_from_json(json) : NULL;
    T_CHECK(back && rc_vocab_size(back) == rc_vocab_size(v) && rc_vocab_level(back) == RC_TEXT_WORD,
            "%s", rc_last_error());
    for (size_t i = 0; back && i < rc_vocab_size(v); i++)
        T_CHECK(!strcmp(rc_vocab_token(v, (int32_t)i), rc_vocab_token(back, (int32_t)i)), "token %zu", i);
    free(json);
    rc_vocab_free(back);
    rc_vocab_free(v);

    t_case("vocab: UTF-8 characters are one token each; invalid UTF-8 is refused");
    const char *text = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac";
    v = rc_vocab_build(RC_TEXT_CHAR, text, strlen(text));
    ids = NULL;
    T_CHECK(v && rc_vocab_encode(v, text, strlen(text), &ids, &n) == RC_OK && n == 7, "7 characters");
    if (ids && n == 7)
        T_CHECK(!strcmp(rc_vocab_token(v, ids[3]), "\xc3\xa9") && !strcmp(rc_vocab_token(v, ids[6]), "\xe6\x9c\xac"),
                "multi-byte tokens");
    free(ids);
    ids = NULL;
    T_CHECK(v && rc_vocab_encode(v, "z", 1, &ids, &n) == RC_OK && n == 1 &&
                !strcmp(rc_vocab_token(v, ids[0]), "<unk>"),
            "an unseen character is <unk>");
    free(ids);
    rc_vocab_free(v);
    const char *broken[] = {"ab\xc3", "\xc0\xaf", "x\xed\xa0", "\xf8\x88\x80\x80\x80"};
    for (int i = 0; i < 4; i++) {
        T_CHECK(!rc_vocab_build(RC_TEXT_CHAR, broken[i], strlen(broken[i])), "invalid UTF-8 %d accepted", i);
        T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "invalid UTF-8");
    }

    t_case("vocab: bytes are always 256 tokens; empty text is refused");
    v = rc_vocab_build(RC_TEXT_BYTE, "\xff", 1);
    ids = NULL;
    T_CHECK(v && rc_vocab_size(v) == 256 && rc_vocab_encode(v, "\0\xff", 2, &ids, &n) == RC_OK &&
                ids[0] == 0 && ids[1] == 255,
            "bytes");
    free(ids);
    rc_vocab_free(v);
    T_CHECK(!rc_vocab_build(RC_TEXT_WORD, "", 0), "empty text accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "empty");

    t_case("vocab: Penn Treebank has 10,000 word types and 929,589 training tokens");
    const char *path = t_data("ptb/ptb.train.txt");
    if (path) {
        size_t len;
        char *ptb = rc_read_file(path, &len);
        v = ptb ? rc_vocab_build(RC_TEXT_WORD, ptb, len) : NULL;
        ids = NULL;
        T_CHECK(v && rc_vocab_encode(v, ptb, len, &ids, &n) == RC_OK, "%s", rc_last_error());
        T_CHECK(v && rc_vocab_size(v) == 10000 && n == 929589, "%zu types, %zu tokens",
                v ? rc_vocab_size(v) : 0, n);
        free(ids);
        free(ptb);
        rc_vocab_free(v);
    }
}

void suite_readers(void)
{
    test_rolls();
    test_vocab();
}
