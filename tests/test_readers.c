/* test_readers.c — piano rolls, text vocabularies, WAV files and sets of
 * audio clips (folders, archives), on small files the tests write and on
 * the shared data sets (checked against the counts their README publishes;
 * skipped when the data is absent). */
#include "test.h"

#include <archive.h>
#include <archive_entry.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    /* cut short, overlong (2, 3 and 4 bytes), a surrogate, past U+10FFFF, a 5-byte form */
    const char *broken[] = {"ab\xc3",          "\xc0\xaf",         "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "x\xed\xa0\x80",
                            "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80"};
    for (int i = 0; i < 7; i++)
        for (int level = RC_TEXT_CHAR; level <= RC_TEXT_WORD; level++) {
            T_CHECK(!rc_vocab_build(level, broken[i], strlen(broken[i])), "invalid UTF-8 %d accepted at level %d", i,
                    level);
            T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "invalid UTF-8");
        }
    const char *edges = "\xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf"; /* U+D7FF, U+E000, U+10FFFF */
    v = rc_vocab_build(RC_TEXT_CHAR, edges, strlen(edges));
    T_CHECK(v, "the characters around the surrogates and the last one refused: %s", rc_last_error());
    rc_vocab_free(v);

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

/* ------------------------------------------------------------ MIDI */

static void write_bytes(const char *name, const unsigned char *b, size_t n)
{
    FILE *f = fopen(t_path(name), "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

/* Keys sounding in frame t, as a bit mask over the three test pitches. */
static int chord(const rc_rolls *r, size_t t)
{
    const float *f = rc_rolls_frames(r, 0) + t * RC_PIANO_KEYS;
    return (f[60 - 21] > 0) | (f[64 - 21] > 0) << 1 | (f[67 - 21] > 0) << 2;
}

void suite_midi(void)
{
    /* Format 1, 480 ticks per quarter.  Track 1: tempo 120 bpm, then 240 bpm
     * at tick 960.  Track 2: C4 and E4 from 0 to 480 (the second note-on and
     * both note-offs — note-ons of velocity 0 — use running status), a drum
     * on channel 10, and G4 from 960 to 1440. */
    static const unsigned char file[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 2, 0x01, 0xE0,
        'M', 'T', 'r', 'k', 0, 0, 0, 19,
        0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,          /* 500000 us per quarter */
        0x87, 0x40, 0xFF, 0x51, 0x03, 0x03, 0xD0, 0x90,    /* +960: 250000 */
        0x00, 0xFF, 0x2F, 0x00,
        'M', 'T', 'r', 'k', 0, 0, 0, 33,
        0x00, 0x90, 60, 90, 0x00, 64, 90,                  /* note-on, running status */
        0x00, 0x99, 36, 100,                               /* a drum */
        0x83, 0x60, 0x90, 60, 0, 0x00, 64, 0,              /* +480: note-offs as velocity 0 */
        0x83, 0x60, 0x90, 67, 80,                          /* +480: G4 */
        0x83, 0x60, 0x80, 67, 0,                           /* +480: off */
        0x00, 0xFF, 0x2F, 0x00,
    };
    write_bytes("a.mid", file, sizeof file);

    t_case("midi: format 1, two tracks, running status, steps per quarter note");
    rc_rolls *r = rc_rolls_load_midi(t_path("a.mid"), 1.0, 0.0);
    T_CHECK(r, "%s", rc_last_error());
    if (r) {
        T_CHECK(rc_rolls_count(r) == 1 && rc_rolls_length(r, 0) == 3, "%zu steps", rc_rolls_length(r, 0));
        T_CHECK(chord(r, 0) == 3 && chord(r, 1) == 0 && chord(r, 2) == 4, "chords %d %d %d", chord(r, 0),
                chord(r, 1), chord(r, 2));
        float sum = 0;
        for (size_t k = 0; k < 3 * RC_PIANO_KEYS; k++)
            sum += rc_rolls_frames(r, 0)[k];
        T_CHECK(sum == 3, "%g notes: the drum or something else crept in", (double)sum);
    }
    rc_rolls_free(r);

    t_case("midi: frames per second follow the tempo change");
    r = rc_rolls_load_midi(t_path("a.mid"), 0.0, 4.0); /* 0.25 s frames; G4 at 1.0-1.25 s */
    T_CHECK(r && rc_rolls_length(r, 0) == 5, "%s", r ? "wrong length" : rc_last_error());
    if (r && rc_rolls_length(r, 0) == 5)
        T_CHECK(chord(r, 0) == 3 && chord(r, 1) == 3 && chord(r, 2) == 0 && chord(r, 3) == 0 && chord(r, 4) == 4,
                "chords %d %d %d %d %d", chord(r, 0), chord(r, 1), chord(r, 2), chord(r, 3), chord(r, 4));
    rc_rolls_free(r);

    t_case("midi: a roll written by rc_midi_save reads back the same, also from a folder");
    const char *jsb = t_data("music/jsb_chorales/valid.txt");
    rc_rolls *src = jsb ? rc_rolls_load_text(jsb) : NULL;
    if (src) {
        char name[64];
        int same = 1;
        for (size_t i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "midi/%zu.mid", i);
            if (i == 0)
                mkdir(t_path("midi"), 0777);
            T_CHECK(rc_midi_save(t_path(name), rc_rolls_frames(src, i), rc_rolls_length(src, i), 480, 100) == RC_OK,
                    "%s", rc_last_error());
        }
        rc_rolls *back = rc_rolls_load_midi(t_path("midi"), 1.0, 0.0);
        T_CHECK(back && rc_rolls_count(back) == 3, "%s", rc_last_error());
        for (size_t i = 0; back && i < 3; i++) {
            /* trailing silent steps carry no event, so compare up to the last note */
            size_t n = rc_rolls_length(back, i);
            same &= n <= rc_rolls_length(src, i) &&
                    !memcmp(rc_rolls_frames(back, i), rc_rolls_frames(src, i), n * RC_PIANO_KEYS * sizeof(float));
        }
        T_CHECK(same, "a round trip changed the roll");
        rc_rolls_free(back);
        for (size_t i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "midi/%zu.mid", i);
            remove(t_path(name));
        }
        rmdir(t_path("midi"));
    }
    rc_rolls_free(src);

    static const struct {
        const char *what;
        size_t cut; /* keep this many bytes of file (0: all) */
        int patch_at, patch_value;
        int status;
        const char *needle;
    } bad[] = {
        {"a file cut inside a track", 60, -1, 0, RC_EFORMAT, "claims 33 bytes"},
        {"a header that is not MThd", 0, 0, 'X', RC_EFORMAT, "not a Standard MIDI File"},
        {"format 2", 0, 9, 2, RC_EUNSUPPORTED, "MIDI format 2"},
        {"an SMPTE time division", 0, 12, 0xE7, RC_EUNSUPPORTED, "SMPTE"},
        {"more tracks announced than held", 0, 11, 3, RC_EFORMAT, "announces 3 tracks, the file holds 2"},
        {"a data byte without a status", 0, 50, 0x40, RC_EFORMAT, "a data byte without a status"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_case("midi: %s is refused", bad[i].what);
        unsigned char copy[sizeof file];
        memcpy(copy, file, sizeof file);
        if (bad[i].patch_at >= 0)
            copy[bad[i].patch_at] = (unsigned char)bad[i].patch_value;
        write_bytes("bad.mid", copy, bad[i].cut ? bad[i].cut : sizeof file);
        r = rc_rolls_load_midi(t_path("bad.mid"), 1.0, 0.0);
        T_CHECK(!r, "accepted");
        rc_rolls_free(r);
        T_CHECK_ERROR(rc_last_status(), bad[i].status, bad[i].needle);
    }
    t_case("midi: a small file whose one note lasts 2^28 ticks is refused, naming the limit, before allocating");
    static const unsigned char sparse[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0,
        'M', 'T', 'r', 'k', 0, 0, 0, 15,
        0x00, 0x90, 60, 90,                                /* C4 on */
        0xFF, 0xFF, 0xFF, 0x7F, 0x80, 60, 0,               /* off after 2^28 - 1 ticks: 559241 quarters */
        0x00, 0xFF, 0x2F, 0x00,
    };
    write_bytes("sparse.mid", sparse, sizeof sparse);
    r = rc_rolls_load_midi(t_path("sparse.mid"), 1.0, 0.0);
    T_CHECK(!r, "accepted");
    rc_rolls_free(r);
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "its 1 notes span 559241 steps, more than the 11000 read for them");
    r = rc_rolls_load_midi(t_path("sparse.mid"), 4.0, 0.0);
    T_CHECK(!r, "accepted at 4 steps per quarter");
    rc_rolls_free(r);
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "more than the 11000 read for them");

    t_case("midi: an empty folder and a bad resolution are refused");
    mkdir(t_path("empty"), 0777);
    T_CHECK(!rc_rolls_load_midi(t_path("empty"), 1.0, 0.0), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "no .mid or .midi files");
    rmdir(t_path("empty"));
    T_CHECK(!rc_rolls_load_midi(t_path("a.mid"), 0.0, 0.0), "no resolution accepted");
}

/* ------------------------------------------------------------ WAV and CSV */

/* A WAV file: header fields, then raw sample bytes. */
static void write_wav_at(const char *name, uint32_t rate, unsigned format, unsigned channels, unsigned bits,
                         const void *samples, uint32_t bytes, uint32_t claimed)
{
    unsigned char h[44];
    uint32_t block = channels * bits / 8;
    memcpy(h, "RIFF", 4);
    uint32_t riff = 36 + bytes;
    memcpy(h + 8, "WAVEfmt ", 8);
    uint32_t v[] = {riff, 16};
    for (int i = 0; i < 4; i++)
        h[4 + i] = (unsigned char)(v[0] >> (8 * i)), h[16 + i] = (unsigned char)(v[1] >> (8 * i));
    unsigned short f[] = {(unsigned short)format, (unsigned short)channels};
    h[20] = (unsigned char)f[0], h[21] = (unsigned char)(f[0] >> 8), h[22] = (unsigned char)f[1], h[23] = 0;
    uint32_t br = rate * block;
    for (int i = 0; i < 4; i++)
        h[24 + i] = (unsigned char)(rate >> (8 * i)), h[28 + i] = (unsigned char)(br >> (8 * i));
    h[32] = (unsigned char)block, h[33] = 0, h[34] = (unsigned char)bits, h[35] = 0;
    memcpy(h + 36, "data", 4);
    for (int i = 0; i < 4; i++)
        h[40 + i] = (unsigned char)(claimed >> (8 * i));
    FILE *fp = fopen(t_path(name), "wb");
    fwrite(h, 1, 44, fp);
    fwrite(samples, 1, bytes, fp);
    fclose(fp);
}

static void write_wav(const char *name, unsigned format, unsigned channels, unsigned bits, const void *samples,
                      uint32_t bytes, uint32_t claimed)
{
    write_wav_at(name, 8000, format, channels, bits, samples, bytes, claimed);
}

/* An archive (libarchive's writer: "ustar" or "zip", gzip-compressed when
 * gz) of the scratch files names[n], stored under "clips/". */
static void write_archive(const char *path, const char *format, int gz, const char *const *names, size_t n)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_by_name(a, format);
    if (gz)
        archive_write_add_filter_gzip(a);
    archive_write_open_filename(a, t_path(path));
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *b = rc_read_file(t_path(names[i]), &len), member[128];
        snprintf(member, sizeof member, "clips/%s", names[i]);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, member);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_write_header(a, e);
        archive_write_data(a, b, len);
        archive_entry_free(e);
        free(b);
    }
    archive_write_close(a);
    archive_write_free(a);
}

void suite_wav_csv(void)
{
    t_case("wav: 8-bit mono and 16-bit stereo (averaged) samples");
    const unsigned char u8[] = {128, 255, 0, 192};
    write_wav("a.wav", 1, 1, 8, u8, 4, 4);
    unsigned rate = 0;
    rc_tensor *w = rc_wav_load(t_path("a.wav"), &rate);
    T_CHECK(w && rate == 8000 && w->size == 4 && w->data[0] == 0.0f && w->data[2] == -1.0f && w->data[3] == 0.5f,
            "%s", w ? "values" : rc_last_error());
    rc_tensor_free(w);
    const int16_t s16[] = {16384, -16384, 32767, 32767, -32768, 0};
    write_wav("b.wav", 1, 2, 16, s16, sizeof s16, sizeof s16);
    w = rc_wav_load(t_path("b.wav"), NULL);
    T_CHECK(w && w->size == 3 && w->data[0] == 0.0f && fabsf(w->data[1] - 32767.0f / 32768) < 1e-7f &&
                w->data[2] == -0.5f,
            "%s", w ? "values" : rc_last_error());
    rc_tensor_free(w);

    static const struct {
        const char *what;
        unsigned format, bits;
        uint32_t claimed;
        int status;
        const char *needle;
    } bad[] = {
        {"float samples", 3, 16, 4, RC_EUNSUPPORTED, "sample format 3 is not PCM"},
        {"24-bit samples", 1, 24, 6, RC_EUNSUPPORTED, "24-bit samples"},
        {"a data chunk longer than the file", 1, 16, 4000, RC_EFORMAT, "claims 4000 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_case("wav: %s are refused", bad[i].what);
        write_wav("bad.wav", bad[i].format, 1, bad[i].bits, s16, 6, bad[i].claimed);
        w = rc_wav_load(t_path("bad.wav"), NULL);
        T_CHECK(!w, "accepted");
        rc_tensor_free(w);
        T_CHECK_ERROR(rc_last_status(), bad[i].status, bad[i].needle);
    }
    t_case("wav: written and read back, to the nearest 16-bit level, clipped");
    const float out[5] = {0.25f, -0.5f, 1.5f, -2.0f, 1e-5f};
    T_CHECK(rc_wav_save(t_path("w.wav"), out, 5, 22050) == RC_OK, "%s", rc_last_error());
    w = rc_wav_load(t_path("w.wav"), &rate);
    T_CHECK(w && rate == 22050 && w->size == 5 && w->data[0] == 0.25f && w->data[1] == -0.5f &&
                w->data[2] == 32767.0f / 32768 && w->data[3] == -1.0f && w->data[4] == 0.0f,
            "%s", w ? "values" : rc_last_error());
    rc_tensor_free(w);
    T_CHECK(rc_wav_save(t_path("w.wav"), out, 5, 0) == RC_EINVAL, "a rate of 0 accepted");

    t_case("wav: a file that is not RIFF is refused");
    write_bytes("bad.wav", (const unsigned char *)"RIFX....WAVE", 12);
    T_CHECK(!rc_wav_load(t_path("bad.wav"), NULL), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "not a WAV file");

    t_case("clips: a folder of WAV files, in name order, other files skipped");
    mkdir(t_path("clips"), 0777);
    const int16_t c1[] = {100, -200, 300}, c2[] = {32767, -32768};
    write_wav("clips/b.wav", 1, 1, 16, c1, sizeof c1, sizeof c1);
    write_wav("clips/a.WAV", 1, 1, 8, u8, 4, 4);
    write_text("clips/notes.txt", "not audio");
    rc_clips *clips = rc_clips_load(t_path("clips"));
    T_CHECK(clips && rc_clips_count(clips) == 2 && rc_clips_rate(clips) == 8000 &&
                !strcmp(rc_clips_name(clips, 0), "a.WAV") && !strcmp(rc_clips_name(clips, 1), "b.wav") &&
                rc_clips_length(clips, 0) == 4 && rc_clips_length(clips, 1) == 3 &&
                rc_clips_samples(clips, 1)[1] == -200.0f / 32768 && !rc_clips_name(clips, 2),
            "%s", clips ? "contents" : rc_last_error());

    t_case("clips: dequantizing adds less than half a step, differently per sample, once");
    float before[3];
    memcpy(before, rc_clips_samples(clips, 1), sizeof before);
    rc_clips_dequantize(clips, 7);
    int moved = 0, within = 1;
    for (int i = 0; i < 3; i++) {
        float d = rc_clips_samples(clips, 1)[i] - before[i];
        moved += d != 0.0f;
        within &= fabsf(d) <= 0.5f / 32768;
    }
    float u8_step = fabsf(rc_clips_samples(clips, 0)[1] - 127.0f / 128);
    T_CHECK(moved == 3 && within && u8_step <= 0.5f / 128 && u8_step > 0, "moved %d, within %d, 8-bit %g", moved,
            within, (double)u8_step);
    float after[3];
    memcpy(after, rc_clips_samples(clips, 1), sizeof after);
    rc_clips_dequantize(clips, 8); /* a second call leaves them */
    T_CHECK(!memcmp(after, rc_clips_samples(clips, 1), sizeof after), "dequantized twice");
    rc_clips_free(clips);
    clips = rc_clips_new(8000);
    const float floats[2] = {0.25f, -0.5f};
    T_CHECK(clips && rc_clips_add(clips, "f", floats, 2) == RC_OK, "%s", rc_last_error());
    rc_clips_dequantize(clips, 7);
    T_CHECK(clips && !memcmp(rc_clips_samples(clips, 0), floats, sizeof floats), "float clips were changed");
    rc_clips_free(clips);

    static const struct {
        const char *file, *format;
        int gz;
    } archives[] = {{"clips.tar", "ustar", 0}, {"clips.tar.gz", "ustar", 1}, {"clips.zip", "zip", 0}};
    for (size_t i = 0; i < sizeof archives / sizeof archives[0]; i++) {
        t_case("clips: the WAV members of a %s archive, in name order", archives[i].file);
        write_wav("b.wav", 1, 1, 16, c1, sizeof c1, sizeof c1);
        write_wav("a.wav", 1, 1, 16, c2, sizeof c2, sizeof c2);
        write_text("readme.txt", "skipped");
        write_archive(archives[i].file, archives[i].format, archives[i].gz,
                      (const char *const[]){"b.wav", "readme.txt", "a.wav"}, 3);
        clips = rc_clips_load(t_path(archives[i].file));
        T_CHECK(clips && rc_clips_count(clips) == 2 && !strcmp(rc_clips_name(clips, 0), "a.wav") &&
                    rc_clips_samples(clips, 0)[1] == -1.0f && rc_clips_length(clips, 1) == 3 &&
                    rc_clips_samples(clips, 1)[2] == 300.0f / 32768,
                "%s", clips ? "contents" : rc_last_error());
        rc_clips_free(clips);
    }

    t_case("clips: bad sets are refused with the file named");
    write_wav_at("clips/c.wav", 16000, 1, 1, 16, c1, sizeof c1, sizeof c1);
    T_CHECK(!rc_clips_load(t_path("clips")), "clips of two rates accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "c.wav: 16000 Hz, but the clips before it are 8000 Hz");
    write_archive("none.tar", "ustar", 0, (const char *const[]){"readme.txt"}, 1);
    T_CHECK(!rc_clips_load(t_path("none.tar")), "an archive without WAV files accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "no .wav files in the archive");
    T_CHECK(!rc_clips_load(t_path("readme.txt")), "a text file accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "not a .wav file, a folder or an archive");
    write_wav("bad.wav", 3, 1, 16, c1, sizeof c1, sizeof c1);
    write_archive("bad.tar", "ustar", 0, (const char *const[]){"a.wav", "bad.wav"}, 2);
    T_CHECK(!rc_clips_load(t_path("bad.tar")), "a float WAV member accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EUNSUPPORTED, "clips/bad.wav: sample format 3");

    t_case("clips: Free Spoken Digit recordings, read from their archive, have the lengths recordings.csv lists");
    char tar[512] = "";
    if (t_data("fsdd/recordings.tar"))
        snprintf(tar, sizeof tar, "%s", t_data("fsdd/recordings.tar")); /* t_data reuses its buffer */
    const char *csv_path = t_data("fsdd/recordings.csv");
    if (tar[0] && csv_path) {
        clips = rc_clips_load(tar);
        size_t len, checked = 0;
        char *csv = rc_read_file(csv_path, &len);
        T_CHECK(clips && csv && rc_clips_count(clips) == 3000 && rc_clips_rate(clips) == 8000,
                "%s", clips ? "3,000 clips of 8 kHz expected" : rc_last_error());
        for (size_t i = 0; clips && csv && i < rc_clips_count(clips); i++) {
            char key[80];
            snprintf(key, sizeof key, "\n%s,", rc_clips_name(clips, i));
            const char *row = strstr(csv, key);
            unsigned long frames = 0;
            for (int comma = 0; row && comma < 7; comma++) /* frames is the 8th column */
                row = strchr(row, ',') ? strchr(row, ',') + 1 : NULL;
            if (row)
                frames = strtoul(row, NULL, 10);
            checked += rc_clips_length(clips, i) == frames;
        }
        T_CHECK(checked == 3000, "%zu of 3,000 clips have the listed length", checked);
        free(csv);
        rc_clips_free(clips);
    }

    t_case("csv: a header, numbers in any notation, CRLF line ends");
    write_text("a.csv", "time,value\r\n0,1.5\r\n1,-2e-3\r\n\r\n2, 7 \r\n");
    rc_tensor *c = rc_csv_load(t_path("a.csv"));
    T_CHECK(c && c->shape[0] == 3 && c->shape[1] == 2 && c->data[1] == 1.5f && c->data[3] == -2e-3f &&
                c->data[5] == 7.0f,
            "%s", c ? "values" : rc_last_error());
    rc_tensor_free(c);
    static const struct {
        const char *what, *text, *needle;
    } bad_csv[] = {
        {"a ragged row", "1,2\n3\n", "line 2 has 1 columns, the first data line 2"},
        {"a word among numbers", "1,2\n3,four\n", "line 2, column 2: 'four' is not a number"},
        {"an empty cell", "1,2\n3,\n", "line 2, column 2"},
        {"a header only", "a,b\n", "no rows of numbers"},
    };
    for (size_t i = 0; i < sizeof bad_csv / sizeof bad_csv[0]; i++) {
        t_case("csv: %s is refused", bad_csv[i].what);
        write_text("bad.csv", bad_csv[i].text);
        c = rc_csv_load(t_path("bad.csv"));
        T_CHECK(!c, "accepted");
        rc_tensor_free(c);
        T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, bad_csv[i].needle);
    }
}
