/* test_data.c — the IDX reader on files the test writes itself (plain and
 * gzip, every element type, and malformed ones), and on Fashion-MNIST when
 * the Debian package is installed. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static void write_file(const char *name, const unsigned char *bytes, size_t n, int gzip)
{
    if (gzip) {
        gzFile f = gzopen(t_path(name), "wb");
        gzwrite(f, bytes, (unsigned)n);
        gzclose(f);
    } else {
        FILE *f = fopen(t_path(name), "wb");
        fwrite(bytes, 1, n, f);
        fclose(f);
    }
}

static void test_idx_good(void)
{
    /* u8 [2, 3] */
    static const unsigned char u8[] = {0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 253, 254, 255};
    for (int gz = 0; gz < 2; gz++) {
        t_case("idx: u8 [2, 3] %s", gz ? "gzip" : "plain");
        write_file("u8.idx", u8, sizeof u8, gz);
        rc_tensor *t = rc_idx_load(t_path("u8.idx"));
        T_CHECK(t, "%s", rc_last_error());
        if (t) {
            T_CHECK(t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3, "shape");
            T_CHECK(t->data[0] == 0 && t->data[3] == 253 && t->data[5] == 255, "values");
        }
        rc_tensor_free(t);
    }

    t_case("idx: i16, i32, f32 and f64 big-endian elements");
    static const unsigned char i16[] = {0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x00};
    static const unsigned char i32[] = {0, 0, 0x0C, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0x9C};
    static const unsigned char f32[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0};
    static const unsigned char f64[] = {0, 0, 0x0E, 1, 0, 0, 0, 1, 0xC0, 0x04, 0, 0, 0, 0, 0, 0};
    const struct {
        const unsigned char *bytes;
        size_t n;
        float first, last;
    } typed[] = {{i16, sizeof i16, -2, 256}, {i32, sizeof i32, -100, -100},
                 {f32, sizeof f32, 1.5f, 1.5f}, {f64, sizeof f64, -2.5f, -2.5f}};
    for (size_t i = 0; i < 4; i++) {
        write_file("typed.idx", typed[i].bytes, typed[i].n, 0);
        rc_tensor *t = rc_idx_load(t_path("typed.idx"));
        T_CHECK(t && t->data[0] == typed[i].first && t->data[t->size - 1] == typed[i].last,
                "type %zu: %s", i, t ? "wrong values" : rc_last_error());
        rc_tensor_free(t);
    }
}

static void test_idx_bad(void)
{
    const struct {
        const char *what;
        unsigned char bytes[16];
        size_t n;
        int status;
        const char *needle;
    } bad[] = {
        {"bad magic", {1, 0, 8, 1, 0, 0, 0, 1, 7}, 9, RC_EFORMAT, "not an IDX file"},
        {"unknown type", {0, 0, 0x0A, 1, 0, 0, 0, 1, 7}, 9, RC_EFORMAT, "element type 0x0a"},
        {"too many dimensions", {0, 0, 8, 5, 0, 0, 0, 1}, 8, RC_EUNSUPPORTED, "5 dimensions"},
        {"zero dimension", {0, 0, 8, 1, 0, 0, 0, 0}, 8, RC_ESHAPE, "dimension 0 is 0"},
        {"truncated data", {0, 0, 8, 1, 0, 0, 0, 4, 1, 2}, 10, RC_EFORMAT, "ends inside the data"},
        {"truncated header", {0, 0, 8}, 3, RC_EFORMAT, "ends inside the header"},
        {"trailing bytes", {0, 0, 8, 1, 0, 0, 0, 1, 1, 2}, 10, RC_EFORMAT, "continues past"},
        {"empty file", {0}, 0, RC_EFORMAT, "ends inside the header"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        for (int gz = 0; gz < 2; gz++) {
            t_case("idx: %s (%s) is refused with a message", bad[i].what, gz ? "gzip" : "plain");
            write_file("bad.idx", bad[i].bytes, bad[i].n, gz);
            rc_tensor *t = rc_idx_load(t_path("bad.idx"));
            T_CHECK(!t, "accepted");
            rc_tensor_free(t);
            T_CHECK_ERROR(rc_last_status(), bad[i].status, bad[i].needle);
            T_CHECK(strstr(rc_last_error(), "bad.idx"), "message does not name the file: %s",
                    rc_last_error());
        }

    t_case("idx: a missing file");
    T_CHECK(!rc_idx_load(t_path("missing.idx")), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EIO, "No such file");

    t_case("idx: a header declaring more than the file holds is refused before allocating (found by fuzzing)");
    static const unsigned char huge[] = {0, 0, 8, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                         0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    write_file("huge.idx", huge, sizeof huge, 0);
    rc_tensor *t = rc_idx_load(t_path("huge.idx"));
    T_CHECK(!t, "accepted");
    rc_tensor_free(t);
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "declares more data than the file can hold");
    static const unsigned char lie[] = {0, 0, 0x0B, 2, 0xE5, 0xE5, 0xE5, 0xE5, 0, 0, 0x0B, 0, 1, 2, 3};
    write_file("huge.idx", lie, sizeof lie, 1); /* gzip: the bound is 1032 times the file */
    t = rc_idx_load(t_path("huge.idx"));
    T_CHECK(!t, "accepted");
    rc_tensor_free(t);
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "declares more data than the file can hold");
}

static void test_fashion_mnist(void)
{
    const char *path = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    t_case("idx: Fashion-MNIST test set (Debian package dataset-fashion-mnist)");
    if (access(path, R_OK) != 0) {
        printf("  skipped: %s is absent (apt-get install dataset-fashion-mnist)\n", path);
        return;
    }
    rc_tensor *labels = rc_idx_load(path);
    rc_tensor *images = rc_idx_load("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    T_CHECK(labels && images, "%s", rc_last_error());
    if (labels && images) {
        T_CHECK(labels->ndim == 1 && labels->shape[0] == 10000, "labels shape");
        T_CHECK(images->ndim == 3 && images->shape[0] == 10000 && images->shape[1] == 28 &&
                    images->shape[2] == 28,
                "images shape");
        int counts[10] = {0}, ok = 1;
        for (size_t i = 0; i < labels->size; i++) {
            int c = (int)labels->data[i];
            ok &= c >= 0 && c < 10;
            counts[ok ? c : 0]++;
        }
        T_CHECK(ok && counts[0] == 1000 && counts[9] == 1000, "the test set has 1000 per class");
    }
    rc_tensor_free(labels);
    rc_tensor_free(images);
}

void suite_data(void)
{
    test_idx_good();
    test_idx_bad();
    test_fashion_mnist();
}
