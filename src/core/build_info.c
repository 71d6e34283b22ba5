/* build_info.c — version, build switches, the thread count and the SIMD copy. */
#include "core.h"
#include "../kernels/kernels.h"

#include <string.h>

#if RC_HAVE_OPENMP
#include <omp.h>
#endif
#if RC_HAVE_OPENBLAS
#include <cblas.h>
#endif

#if RC_HAVE_OPENBLAS && defined(RC_OPENBLAS_OPENMP)
#define RC__BLAS_NAME "openblas, its OpenMP build"
#elif RC_HAVE_OPENBLAS
#define RC__BLAS_NAME "openblas"
#else
#define RC__BLAS_NAME "none (portable C)"
#endif
#if RC_HAVE_OPENMP
#define RC__OMP_NAME "on"
#else
#define RC__OMP_NAME "off"
#endif

const char *rc_version(void) { return RC_VERSION; }

#if defined(__SANITIZE_ADDRESS__)
#define RC__SANITIZERS ", AddressSanitizer"
#else
#define RC__SANITIZERS ""
#endif

const char *rc_build_info(void)
{
    return "recur " RC_VERSION " (BLAS " RC__BLAS_NAME ", OpenMP " RC__OMP_NAME RC__SANITIZERS ")";
}

int rc_set_num_threads(int n)
{
    if (n < 1)
        return rc__fail(RC_EINVAL, "rc_set_num_threads: %d threads requested, need at least 1", n);
#if RC_HAVE_OPENMP
    omp_set_num_threads(n);
#endif
#if RC_HAVE_OPENBLAS
    openblas_set_num_threads(n);
#endif
    return RC_OK;
}

const char *rc_simd(void) { return rc__simd_name(); }

int rc_set_simd(const char *name)
{
    static const char *const names[] = {"portable", "avx2", "avx512"};
    int level = -1;
    for (int i = 0; name && strcmp(name, "auto") && i < 3; i++)
        if (!strcmp(name, names[i]))
            level = i;
    if (name && strcmp(name, "auto") && level < 0)
        return rc__fail(RC_EINVAL, "rc_set_simd: '%s' is not one of auto portable avx2 avx512", name);
    if (rc__simd_use(level))
        return rc__fail(RC_EINVAL, "rc_set_simd: this CPU cannot run the %s kernels", name);
    return RC_OK;
}
