"""normkata grader."""

import os

# The grader's own NumPy work is small (expected values, comparisons): a BLAS thread per core would only be
# started and spin at import, about a tenth of a second of CPU on every `grade` (a worker gets one thread
# anyway, runner.WORKER_ENV). Set before anything imports NumPy; a value the user gave is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
