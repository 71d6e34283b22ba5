/* geometry.c — the exact answers of the Pointer Network's tasks (Vinyals,
 * Fortunato & Jaitly 2015, arXiv:1506.03134, section 4): planar convex
 * hulls, polygon areas (the hull task's coverage metric) and optimal
 * travelling-salesman tours by Held & Karp's dynamic programme (1962).
 * Points are [n, 2] arrays of x, y. */
#include "data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Twice the signed area of the triangle o, a, b: > 0 when a -> b turns
 * counter-clockwise around o. */
static double cross(const float *p, int32_t o, int32_t a, int32_t b)
{
    double ax = (double)p[2 * a] - p[2 * o], ay = (double)p[2 * a + 1] - p[2 * o + 1];
    double bx = (double)p[2 * b] - p[2 * o], by = (double)p[2 * b + 1] - p[2 * o + 1];
    return ax * by - ay * bx;
}

/* 1 when point i comes before point j: by x, then y, then index (a total
 * order, so the hull is the same on every machine). */
static int before(const float *p, int32_t i, int32_t j)
{
    if (p[2 * i] != p[2 * j])
        return p[2 * i] < p[2 * j];
    if (p[2 * i + 1] != p[2 * j + 1])
        return p[2 * i + 1] < p[2 * j + 1];
    return i < j;
}

/* Sorts idx[n] by position: a bottom-up merge sort through tmp[n]. */
static void sort_by_position(const float *p, int32_t *idx, int32_t *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid || b < hi)
                tmp[k++] = b >= hi || (a < mid && !before(p, idx[b], idx[a])) ? idx[a++] : idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

size_t rc_convex_hull(const float *points, size_t n, int32_t *hull)
{
    if (!points || !hull || n == 0 || n > INT32_MAX)
        return 0;
    int32_t *idx = malloc(n * sizeof *idx), *chain = malloc((2 * n + 1) * sizeof *chain);
    if (!idx || !chain) {
        free(idx), free(chain);
        rc__fail(RC_ENOMEM, "rc_convex_hull: out of memory for %zu points", n);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (int32_t)i;
    sort_by_position(points, idx, chain, n);
    /* Andrew's monotone chain: lower hull left to right, upper right to left,
     * dropping points that do not turn counter-clockwise (collinear ones too) */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k >= 2 && cross(points, chain[k - 2], chain[k - 1], idx[i]) <= 0)
            k--;
        chain[k++] = idx[i];
    }
    for (size_t i = n - 1, lower = k + 1; i-- > 0;) {
        while (k >= lower && cross(points, chain[k - 2], chain[k - 1], idx[i]) <= 0)
            k--;
        chain[k++] = idx[i];
    }
    size_t m = n == 1 ? 1 : k - 1; /* the last point repeats the first */
    /* counter-clockwise from the lowest index on the hull */
    size_t start = 0;
    for (size_t i = 1; i < m; i++)
        start = chain[i] < chain[start] ? i : start;
    for (size_t i = 0; i < m; i++)
        hull[i] = chain[(start + i) % m];
    free(idx), free(chain);
    return m;
}

double rc_polygon_area(const float *points, const int32_t *order, size_t m)
{
    double twice = 0.0;
    for (size_t i = 0; points && order && i < m; i++) {
        const float *a = points + 2 * order[i], *b = points + 2 * order[(i + 1) % m];
        twice += (double)a[0] * b[1] - (double)b[0] * a[1];
    }
    return 0.5 * twice;
}

/* The sign of cross(o, a, b): -1, 0 or 1. */
static int turn(const float *p, int32_t o, int32_t a, int32_t b)
{
    double c = cross(p, o, a, b);
    return (c > 0) - (c < 0);
}

/* 1 when point c, collinear with a and b, lies on the segment ab. */
static int on_segment(const float *p, int32_t a, int32_t b, int32_t c)
{
    return fmin(p[2 * a], p[2 * b]) <= p[2 * c] && p[2 * c] <= fmax(p[2 * a], p[2 * b]) &&
           fmin(p[2 * a + 1], p[2 * b + 1]) <= p[2 * c + 1] && p[2 * c + 1] <= fmax(p[2 * a + 1], p[2 * b + 1]);
}

/* 1 when the segments ab and cd share a point. */
static int segments_meet(const float *p, int32_t a, int32_t b, int32_t c, int32_t d)
{
    int d1 = turn(p, a, b, c), d2 = turn(p, a, b, d), d3 = turn(p, c, d, a), d4 = turn(p, c, d, b);
    if (d1 * d2 < 0 && d3 * d4 < 0)
        return 1;
    return (!d1 && on_segment(p, a, b, c)) || (!d2 && on_segment(p, a, b, d)) || (!d3 && on_segment(p, c, d, a)) ||
           (!d4 && on_segment(p, c, d, b));
}

int rc_polygon_simple(const float *points, const int32_t *order, size_t m)
{
    if (!points || !order || m < 3)
        return 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            if (order[i] == order[j] || (points[2 * order[i]] == points[2 * order[j]] &&
                                         points[2 * order[i] + 1] == points[2 * order[j] + 1]))
                return 0;
    for (size_t i = 0; i < m; i++) {
        int32_t a = order[i], b = order[(i + 1) % m], c = order[(i + 2) % m];
        /* neighbours share b: they overlap when c turns straight back along ab */
        if (!turn(points, a, b, c) && ((double)points[2 * b] - points[2 * a]) * ((double)points[2 * c] - points[2 * b]) +
                                              ((double)points[2 * b + 1] - points[2 * a + 1]) *
                                                  ((double)points[2 * c + 1] - points[2 * b + 1]) <
                                          0)
            return 0;
        for (size_t j = i + 2; j < m; j++) {
            if ((j + 1) % m == i) /* the last edge neighbours the first */
                continue;
            if (segments_meet(points, a, b, order[j], order[(j + 1) % m]))
                return 0;
        }
    }
    return 1;
}

double rc_tour_length(const float *points, const int32_t *tour, size_t n)
{
    double len = 0.0;
    for (size_t i = 0; points && tour && i < n; i++) {
        const float *a = points + 2 * tour[i], *b = points + 2 * tour[(i + 1) % n];
        len += hypot((double)a[0] - b[0], (double)a[1] - b[1]);
    }
    return len;
}

double rc_tsp_optimal(const float *points, size_t n, int32_t *tour)
{
    if (!points || !tour || n == 0 || n > RC_TSP_MAX_EXACT) {
        rc__fail(RC_EINVAL, "rc_tsp_optimal: %zu points; Held-Karp takes 1 to %d", n, RC_TSP_MAX_EXACT);
        return -1.0;
    }
    if (n <= 3) { /* every tour of three or fewer points is optimal */
        for (size_t i = 0; i < n; i++)
            tour[i] = (int32_t)i;
        return rc_tour_length(points, tour, n);
    }
    /* best[S][j]: the shortest path from point 0 through the points of S
     * (a subset of 1..n-1, bit j-1 for point j) ending at j in S; Held & Karp */
    size_t m = n - 1, sets = (size_t)1 << m;
    float *best = malloc(sets * m * sizeof *best);
    unsigned char *from = malloc(sets * m);
    double *d = malloc(n * n * sizeof *d);
    if (!best || !from || !d) {
        free(best), free(from), free(d);
        rc__fail(RC_ENOMEM, "rc_tsp_optimal: out of memory for %zu points", n);
        return -1.0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            d[i * n + j] = hypot((double)points[2 * i] - points[2 * j], (double)points[2 * i + 1] - points[2 * j + 1]);
    for (size_t S = 1; S < sets; S++)
        for (size_t j = 0; j < m; j++) {
            float *b = best + S * m + j;
            if (!(S >> j & 1)) {
                *b = INFINITY;
                continue;
            }
            size_t rest = S & ~((size_t)1 << j);
            if (!rest) {
                *b = (float)d[j + 1], from[S * m + j] = (unsigned char)m; /* straight from point 0 */
                continue;
            }
            double low = INFINITY;
            unsigned char arg = 0;
            for (size_t k = 0; k < m; k++)
                if (rest >> k & 1) {
                    double v = (double)best[rest * m + k] + d[(k + 1) * n + j + 1];
                    if (v < low)
                        low = v, arg = (unsigned char)k;
                }
            *b = (float)low, from[S * m + j] = arg;
        }
    size_t S = sets - 1, last = 0;
    double low = INFINITY;
    for (size_t j = 0; j < m; j++) {
        double v = (double)best[S * m + j] + d[(j + 1) * n];
        if (v < low)
            low = v, last = j;
    }
    tour[0] = 0;
    for (size_t pos = n - 1; pos >= 1; pos--) { /* walk back from the last point */
        tour[pos] = (int32_t)(last + 1);
        size_t prev = from[S * m + last];
        S &= ~((size_t)1 << last);
        last = prev;
    }
    free(best), free(from), free(d);
    if (tour[1] > tour[n - 1]) /* the other direction: the same tour */
        for (size_t i = 1, j = n - 1; i < j; i++, j--) {
            int32_t t = tour[i];
            tour[i] = tour[j], tour[j] = t;
        }
    return rc_tour_length(points, tour, n); /* in double, from the tour itself */
}
