"""Test-session settings shared by every suite."""

from threadpoolctl import threadpool_limits

# One BLAS thread: on a loaded 2-core machine multi-threaded OpenBLAS is many times slower, and a
# fixed thread count fixes the summation order, so numbers compare equal across machines.
_BLAS_LIMIT = threadpool_limits(limits=1)
