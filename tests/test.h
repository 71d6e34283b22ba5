/* test.h — a small table-friendly test harness.
 *
 * A suite is a function that opens cases with t_case(name) and checks with
 * T_CHECK(condition, printf-style detail).  A case passes when none of its
 * checks failed.  The runner prints each failure with its detail and ends
 * with "N passed, N failed"; any failure makes the exit status non-zero. */
#ifndef RC_TEST_H
#define RC_TEST_H

#include "recur.h"

#include <stdio.h>

void t_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* 1 when the current case is selected by the command line's filter. */
int t_selected(void);
/* 1 with -v: suites may print extra figures (e.g. gradient errors). */
int t_verbose(void);
/* The path of a file of the shared data sets (RECUR_DATA, else
 * ../shared/data), or NULL after printing why the case is skipped. */
const char *t_data(const char *relative);
/* A path for `name` inside this run's scratch folder (made on first use,
 * removed with its files at exit); valid until the next call. */
const char *t_path(const char *name);

#define T_CHECK(cond, ...)                                 \
    do {                                                   \
        if (!(cond))                                       \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);       \
    } while (0)

/* The status, and the last error message containing `needle`. */
#define T_CHECK_ERROR(status, expected, needle)                                              \
    T_CHECK((status) == (expected) && strstr(rc_last_error(), (needle)),                     \
            "expected status %d with a message containing \"%s\", got %d: \"%s\"", (expected), \
            (needle), (status), rc_last_error())

/* The suites (one per test file). */
void suite_core(void);
void suite_kernels(void);
void suite_tape(void);
void suite_ops(void);
void suite_gradcheck(void);
void suite_data(void);
void suite_cells(void);
void suite_registry(void);
void suite_cell_refs(void);
void suite_weight_drop(void);
void suite_pru(void);
void suite_sha(void);
void suite_awd(void);
void suite_pytorch(void);
void suite_io(void);
void suite_stream(void);
void suite_train(void);
void suite_readers(void);
void suite_models(void);
void suite_trainer(void);
void suite_midi(void);
void suite_wav_csv(void);
void suite_behaviour(void);
void suite_tasks(void);
void suite_urnn(void);
void suite_assoc_lstm(void);
void suite_ntm(void);
void suite_pointer(void);

/* Ops whose gradient checks live in test_cells.c (NULL-terminated). */
extern const char *const cells_gradcheck_ops[];

#endif /* RC_TEST_H */
