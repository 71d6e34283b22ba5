/* main.c — runs every suite: unit [-v] [FILTER]; FILTER selects cases whose
 * name contains it. */
#include "test.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char current[256];
static int current_failed, in_case;
static int passed, failed, verbose;
static const char *filter;

static void close_case(void)
{
    if (!in_case)
        return;
    if (current_failed) {
        failed++;
        printf("FAIL %s\n", current);
    } else {
        passed++;
        if (verbose)
            printf("ok   %s\n", current);
    }
    in_case = 0;
}

void t_case(const char *fmt, ...)
{
    close_case();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current, sizeof current, fmt, ap);
    va_end(ap);
    current_failed = 0;
    in_case = t_selected();
}

int t_selected(void) { return !filter || strstr(current, filter) != NULL; }

int t_verbose(void) { return verbose; }

void t_fail(const char *file, int line, const char *fmt, ...)
{
    if (!in_case)
        return;
    current_failed = 1;
    printf("  %s:%d: [%s] ", file, line, current);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static char scratch[256];

static void remove_scratch(void)
{
    DIR *d = opendir(scratch);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            remove(t_path(e->d_name));
    if (d)
        closedir(d);
    rmdir(scratch);
}

const char *t_path(const char *name)
{
    static char path[512];
    if (!scratch[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/recur-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch)) {
            fprintf(stderr, "unit: cannot create %s\n", scratch);
            exit(1);
        }
        atexit(remove_scratch);
    }
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    return path;
}

const char *t_data(const char *relative)
{
    static char path[512];
    const char *root = getenv("RECUR_DATA");
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : "../shared/data", relative);
    if (access(path, R_OK) == 0)
        return path;
    printf("  skipped: %s is absent (set RECUR_DATA to the data folder)\n", path);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            filter = argv[i];
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    void (*suites[])(void) = {suite_core,  suite_kernels, suite_tape,    suite_ops, suite_gradcheck,
                              suite_cells, suite_registry, suite_cell_refs, suite_weight_drop, suite_pru, suite_urnn, suite_assoc_lstm, suite_ntm, suite_sha, suite_awd, suite_stream,  suite_pytorch, suite_io,  suite_data,
                              suite_readers, suite_midi, suite_wav_csv, suite_train, suite_models, suite_trainer, suite_tasks, suite_pointer, suite_behaviour};
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        suites[s]();
        close_case();
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
