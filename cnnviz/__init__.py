"""cnnviz: watch a convolutional neural network learn. Importing it changes nothing in the
process; cnnviz.engine.configure() sets the process up for the engine."""

__version__ = "0.1.0"
