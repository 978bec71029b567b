"""cnnviz: watch a convolutional neural network learn."""
import os

__version__ = "0.1.0"

# Two thread pools share the cores: numba's OpenMP workers and OpenBLAS's. By default both
# busy-wait after each parallel call (OpenBLAS for ~2^28 cycles), stealing the core the other
# needs next: make both sleep at once (fashion-2conv step 75 -> 65 ms, LeNet 13 -> 9 ms here).
# Read when the libraries load, so this must run before numpy is imported; explicit settings win.
THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "4"}
# What cnnviz set rather than the user: `cnnviz bench` runs PyTorch without these.
defaulted_environment = [name for name in THREAD_DEFAULTS if name not in os.environ]
for name in defaulted_environment:
    os.environ[name] = THREAD_DEFAULTS[name]
