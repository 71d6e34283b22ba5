/* rng.c — PCG32 (XSH RR 64/32), O'Neill 2014, with the reference seeding
 * (pcg32_srandom_r), so (seed, stream) gives the published sequence. */
#include "core.h"

#include <math.h>

static uint32_t pcg32_next(rc_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

void rc_rng_seed(rc_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = 0;
    rng->inc = (stream << 1u) | 1u;
    pcg32_next(rng);
    rng->state += seed;
    pcg32_next(rng);
    rng->has_spare = 0;
    rng->spare_normal = 0.0f;
}

uint32_t rc_rng_u32(rc_rng *rng) { return pcg32_next(rng); }

float rc_rng_uniform(rc_rng *rng)
{
    return (float)(pcg32_next(rng) >> 8) * (1.0f / 16777216.0f);
}

uint32_t rc_rng_below(rc_rng *rng, uint32_t n)
{
    /* Rejection of the short last interval (pcg32_boundedrand_r). */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t r = pcg32_next(rng);
        if (r >= threshold)
            return r % n;
    }
}

float rc_rng_normal(rc_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare_normal;
    }
    /* Box-Muller on (0, 1] x [0, 1): u1 never 0, so log is finite. */
    double u1 = ((double)(pcg32_next(rng) >> 8) + 1.0) / 16777216.0;
    double u2 = (double)(pcg32_next(rng) >> 8) / 16777216.0;
    double r = sqrt(-2.0 * log(u1));
    double theta = 6.283185307179586 * u2;
    rng->spare_normal = (float)(r * sin(theta));
    rng->has_spare = 1;
    return (float)(r * cos(theta));
}
