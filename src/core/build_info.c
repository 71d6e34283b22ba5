/* build_info.c — version, build switches and the thread count. */
#include "core.h"

#if RC_HAVE_OPENMP
#include <omp.h>
#endif
#if RC_HAVE_OPENBLAS
#include <cblas.h>
#endif

#if RC_HAVE_OPENBLAS
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
