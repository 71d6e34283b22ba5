/* plot.c — learning curves as SVG: training and validation loss against
 * epochs, from the rows of log.csv, written atomically. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W = 760, H = 440, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50 };

/* A "nice" step (1, 2 or 5 times a power of ten) giving about n ticks. */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10.0, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                     "#e377c2", "#7f7f7f"};

static void polyline(FILE *f, const cli_series *s, double x0, double x1, double y0, double y1, int log_y,
                     const char *color)
{
    int open = 0;
    for (size_t i = 0; i < s->n; i++) {
        double y = log_y ? log10(s->y[i]) : s->y[i];
        if (isnan(y) || !isfinite(y))
            continue;
        double px = LEFT + (s->x[i] - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        double py = H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        if (!open)
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        fprintf(f, "%.1f,%.1f ", px, py);
        open = 1;
    }
    if (open)
        fprintf(f, "\"/>\n");
    /* a few points are marked too: a run evaluated once draws a line of no length, but a dot */
    for (size_t i = 0; s->n <= 50 && i < s->n; i++) {
        double y = log_y ? log10(s->y[i]) : s->y[i];
        if (isnan(y) || !isfinite(y))
            continue;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                LEFT + (s->x[i] - x0) / (x1 - x0) * (W - LEFT - RIGHT),
                H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM), color);
    }
}

int cli_chart(const cli_series *series, size_t n_series, const char *title, const char *xlabel,
              const char *ylabel, int log_y, const char *path)
{
    double x0 = 0, x1 = 1e-9, y0 = INFINITY, y1 = -INFINITY;
    for (size_t k = 0; k < n_series; k++)
        for (size_t i = 0; i < series[k].n; i++) {
            x1 = fmax(x1, series[k].x[i]);
            double y = log_y ? log10(series[k].y[i]) : series[k].y[i];
            if (!isnan(y) && isfinite(y))
                y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    if (!isfinite(y0))
        y0 = 0, y1 = 1;
    double pad = (y1 - y0) * 0.05 + 1e-9;
    y0 -= pad, y1 += pad;
    cli_whole w;
    FILE *f = cli_open_whole(&w);
    if (!f)
        return -1;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\" text-anchor=\"middle\">%s</text>\n", W / 2, title);
    double ys = nice_step(log_y ? pow(10, y1) - pow(10, y0) : y1 - y0, 6), xs = nice_step(x1 - x0, 8);
    /* ticks at round values of the data; on a log axis placed at their logarithm */
    double lo = log_y ? pow(10, y0) : y0, hi = log_y ? pow(10, y1) : y1;
    for (double v = ceil(lo / ys) * ys; v <= hi; v += ys) {
        double at = log_y ? log10(v) : v;
        double py = H - BOTTOM - (at - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                LEFT, W - RIGHT, py, py, LEFT - 6, py + 4, fabs(v) < 1e-12 ? 0.0 : v);
    }
    for (double v = 0; v <= x1 + 1e-9; v += xs) {
        double px = LEFT + (v - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                px, px, TOP, H - BOTTOM, px, H - BOTTOM + 18, v);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", LEFT, TOP,
            W - LEFT - RIGHT, H - TOP - BOTTOM);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", (W + LEFT) / 2, H - 12, xlabel);
    fprintf(f, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">%s</text>\n",
            (H + TOP - BOTTOM) / 2, (H + TOP - BOTTOM) / 2, ylabel);
    for (size_t k = 0; k < n_series; k++) {
        const char *color = colors[k % (sizeof colors / sizeof colors[0])];
        polyline(f, &series[k], x0, x1, y0, y1, log_y, color);
        int ly = TOP + 14 + 18 * (int)k;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
                W - RIGHT - 200, ly - 6, color, W - RIGHT - 180, ly, series[k].name);
    }
    fprintf(f, "</svg>\n");
    return cli_close_whole(&w, path, 1);
}

int cli_plot(const cli_curve *rows, size_t n, const char *title, const char *ylabel, const char *path)
{
    double *x = malloc((n ? n : 1) * sizeof *x), *tr = malloc((n ? n : 1) * sizeof *tr);
    double *va = malloc((n ? n : 1) * sizeof *va);
    int status = -1;
    if (x && tr && va) {
        for (size_t i = 0; i < n; i++)
            x[i] = rows[i].epoch, tr[i] = rows[i].train, va[i] = rows[i].valid;
        cli_series s[2] = {{"training", x, tr, n}, {"validation", x, va, n}};
        status = cli_chart(s, 2, title, "epoch", ylabel, 0, path);
    }
    free(x), free(tr), free(va);
    return status;
}

cli_curve *cli_read_log(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    cli_curve *rows = NULL;
    size_t cap = 0;
    char line[512];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        cli_curve r;
        double accuracy, lr;
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &r.step, &r.epoch, &r.train, &r.valid, &accuracy, &lr,
                   &r.seconds) != 7)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            cli_curve *g = realloc(rows, cap * sizeof *g);
            if (!g)
                break;
            rows = g;
        }
        rows[(*n)++] = r;
    }
    fclose(f);
    return rows ? rows : calloc(1, sizeof *rows);
}

/* ------------------------------------------------------------ recur plot */

static const char *const x_axes[] = {"epoch", "seconds", "update", NULL};
static const char *const metrics[] = {"valid", "train", NULL};

int cmd_plot(int argc, char **argv)
{
    const char *out = "curves.svg", *title = "learning curves", *ylabel = "validation loss", *labels = NULL;
    const char *dirs[16];
    int x_axis = 0, metric = 0, help = 0, n_dirs = 0, log_y = 0;
    cli_option opts[] = {
        {"--out", "-o", OPT_STRING, &out, "the SVG file to write", NULL},
        {"--x", NULL, OPT_CHOICE, &x_axis, "horizontal axis", x_axes},
        {"--metric", NULL, OPT_CHOICE, &metric, "which loss", metrics},
        {"--title", NULL, OPT_STRING, &title, "chart title", NULL},
        {"--ylabel", NULL, OPT_STRING, &ylabel, "vertical axis label", NULL},
        {"--labels", NULL, OPT_STRING, &labels, "comma-separated names of the runs (default: the folders)", NULL},
        {"--log-y", NULL, OPT_FLAG, &log_y, "logarithmic vertical axis", NULL},
        {"--help", "-h", OPT_FLAG, &help, "this help", NULL},
        {0},
    };
    if (cli_parse("plot", opts, argc - 1, argv + 1, dirs, 16, &n_dirs))
        return EXIT_BAD_INPUT;
    if (help) {
        cli_usage(stdout, "recur plot RUN_DIR... [-o curves.svg] [options]",
                  "Draws the validation (or training) curves of up to 16 runs of recur train in one\n"
                  "chart, against epochs, wall-clock seconds or updates.",
                  opts);
        return 0;
    }
    if (n_dirs == 0)
        return cli_fail("plot", "no run folders given (see recur plot --help)");
    cli_series series[16];
    double *xs[16] = {0}, *ys[16] = {0};
    char names[16][128];
    const char *next = labels;
    int status = 0;
    for (int k = 0; k < n_dirs && !status; k++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/log.csv", dirs[k]);
        size_t n = 0;
        cli_curve *rows = cli_read_log(path, &n);
        if (!rows) {
            status = cli_fail("plot", "%s: cannot read (is %s a recur train output folder?)", path, dirs[k]);
            break;
        }
        xs[k] = malloc((n ? n : 1) * sizeof *xs[k]);
        ys[k] = malloc((n ? n : 1) * sizeof *ys[k]);
        for (size_t i = 0; xs[k] && ys[k] && i < n; i++) {
            xs[k][i] = x_axis == 2 ? rows[i].step : x_axis ? rows[i].seconds : rows[i].epoch;
            ys[k][i] = metric ? rows[i].train : rows[i].valid;
        }
        free(rows);
        if (next && *next) {
            size_t len = strcspn(next, ",");
            snprintf(names[k], sizeof names[k], "%.*s", (int)len, next);
            next += len + (next[len] == ',');
        } else {
            snprintf(names[k], sizeof names[k], "%s", dirs[k]);
        }
        series[k] = (cli_series){names[k], xs[k], ys[k], n};
    }
    if (!status && cli_chart(series, (size_t)n_dirs, title, x_axes[x_axis], ylabel, log_y, out))
        status = cli_fail("plot", "cannot write %s", out);
    else if (!status)
        printf("wrote %s\n", out);
    for (int k = 0; k < n_dirs; k++)
        free(xs[k]), free(ys[k]);
    return status;
}
