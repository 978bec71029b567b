"""cnnviz: watch a convolutional neural network learn."""
import os

__version__ = "0.1.0"

# numba's OpenMP workers own the cores (OpenBLAS runs single-threaded: engine/blas.py). After a
# parallel loop they spin briefly for the next one, then sleep, leaving the core to other threads
# (the GUI): measured on 2 cores, 100,000 spins trained LeNet in 4.0 ms a step against 5.9 ms for
# sleeping at once (fashion-2conv 45 against 58 ms). Read when the OpenMP library loads, so this
# runs before numba is imported; settings of the user's win.
THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "100000"}
# What cnnviz set rather than the user: `cnnviz bench` runs PyTorch without these.
defaulted_environment = [name for name in THREAD_DEFAULTS if name not in os.environ]
for name in defaulted_environment:
    os.environ[name] = THREAD_DEFAULTS[name]
