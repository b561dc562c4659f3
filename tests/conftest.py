"""Test-session settings shared by every suite."""

import os

# One BLAS thread: on a loaded 2-core machine multi-threaded OpenBLAS is many times slower, and a
# fixed thread count fixes the summation order, so numbers compare equal across machines. The
# variables reach the subprocesses the tests start (site builds); threadpoolctl covers this
# process in case a plugin loaded numpy before this file.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy  # noqa: E402,F401  (load BLAS so the limit below applies to it)
from threadpoolctl import threadpool_limits  # noqa: E402

_BLAS_LIMIT = threadpool_limits(limits=1)
