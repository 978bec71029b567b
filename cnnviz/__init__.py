"""cnnviz: watch a convolutional neural network learn."""
__version__ = "0.1.0"
