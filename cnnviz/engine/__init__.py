"""The CNN engine: the spec, the layers and their kernels, the network, losses, optimizers.
Call configure() once before training (engine/process.py says what it sets and why)."""
from cnnviz.engine.process import configure

__all__ = ["configure"]
