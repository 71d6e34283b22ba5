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

static void polyline(FILE *f, const double *x, const double *y, size_t n, double x0, double x1, double y0,
                     double y1, const char *color)
{
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        double px = LEFT + (x[i] - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        double py = H - BOTTOM - (y[i] - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        if (!open)
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        fprintf(f, "%.1f,%.1f ", px, py);
        open = 1;
    }
    if (open)
        fprintf(f, "\"/>\n");
}

int cli_plot(const cli_curve *rows, size_t n, const char *title, const char *ylabel, const char *path)
{
    double *x = malloc((n ? n : 1) * sizeof *x), *tr = malloc((n ? n : 1) * sizeof *tr);
    double *va = malloc((n ? n : 1) * sizeof *va);
    if (!x || !tr || !va) {
        free(x), free(tr), free(va);
        return -1;
    }
    double x0 = 0, x1 = 1e-9, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        x[i] = rows[i].epoch, tr[i] = rows[i].train, va[i] = rows[i].valid;
        x1 = fmax(x1, x[i]);
        for (int k = 0; k < 2; k++) {
            double v = k ? va[i] : tr[i];
            if (!isnan(v))
                y0 = fmin(y0, v), y1 = fmax(y1, v);
        }
    }
    if (!isfinite(y0))
        y0 = 0, y1 = 1;
    double pad = (y1 - y0) * 0.05 + 1e-9;
    y0 -= pad, y1 += pad;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(x), free(tr), free(va);
        return -1;
    }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\" text-anchor=\"middle\">%s</text>\n", W / 2, title);
    double ys = nice_step(y1 - y0, 6), xs = nice_step(x1 - x0, 8);
    for (double v = ceil(y0 / ys) * ys; v <= y1; v += ys) {
        double py = H - BOTTOM - (v - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                LEFT, W - RIGHT, py, py, LEFT - 6, py + 4, v);
    }
    for (double v = 0; v <= x1 + 1e-9; v += xs) {
        double px = LEFT + (v - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                px, px, TOP, H - BOTTOM, px, H - BOTTOM + 18, v);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", LEFT, TOP,
            W - LEFT - RIGHT, H - TOP - BOTTOM);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", (W + LEFT) / 2, H - 12);
    fprintf(f, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">%s</text>\n",
            (H + TOP - BOTTOM) / 2, (H + TOP - BOTTOM) / 2, ylabel);
    polyline(f, x, tr, n, x0, x1, y0, y1, "#1f77b4");
    polyline(f, x, va, n, x0, x1, y0, y1, "#d62728");
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"#1f77b4\"/><text x=\"%d\" y=\"%d\">training</text>\n"
               "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"#d62728\"/><text x=\"%d\" y=\"%d\">validation</text>\n",
            W - RIGHT - 190, TOP + 12, W - RIGHT - 170, TOP + 18, W - RIGHT - 95, TOP + 12, W - RIGHT - 75, TOP + 18);
    fprintf(f, "</svg>\n");
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    free(x), free(tr), free(va);
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}
