"""What the layer form says about each layer type and field, as plain data (no Qt): the help
texts, the form's title, and the value a field shows when the layer does not set it.

Apart from the form's widgets (`layer_form.py`) so that they can be read, and tested, on their
own; the architecture editor's Add menu uses the same help texts.
"""
from __future__ import annotations

from cnnviz.engine.spec import Field, describe

LAYER_HELP = {
    "conv": "Convolution: slides small learned filters over the input maps; each filter "
            "produces one output map that lights up where its pattern appears.",
    "relu": "ReLU: keeps positive values and sets negative ones to zero.",
    "leaky_relu": "Leaky ReLU: like ReLU, but negative values are scaled down instead of zeroed.",
    "tanh": "Tanh: squashes every value into the range -1 to 1.",
    "sigmoid": "Sigmoid: squashes every value into the range 0 to 1.",
    "maxpool": "Max pooling: keeps the largest value of each window, so the maps get smaller.",
    "avgpool": "Average pooling: averages each window, so the maps get smaller.",
    "flatten": "Flatten: lays the maps out as one long list of numbers, for dense layers.",
    "dense": "Dense (fully connected): every output is a weighted sum of all the inputs.",
    "dropout": "Dropout: while training, randomly zeroes a fraction of the values so the "
               "network cannot rely on any single one.",
    "batchnorm": "Batch normalisation: rescales each channel to mean 0 and variance 1, then "
                 "applies a learned scale and shift.",
}

FIELD_HELP = {
    ("conv", "filters"): "How many filters this layer learns; each gives one output map.",
    ("conv", "kernel"): "Width and height of each filter in pixels (3 means 3x3).",
    ("conv", "stride"): "How many pixels the filter moves each step; 2 halves the output size.",
    ("conv", "padding"): "Zero pixels added around the border. 'same' (below 0) pads so the "
                         "output keeps the input's size (needs an odd kernel and stride 1).",
    ("conv", "init"): "How the starting weights are drawn: 'he' suits ReLU, 'glorot' suits "
                      "tanh and sigmoid.",
    ("dense", "units"): "Number of outputs; each one is connected to every input value.",
    ("dense", "init"): "How the starting weights are drawn: 'he' suits ReLU, 'glorot' suits "
                       "tanh and sigmoid.",
    ("maxpool", "size"): "Width and height of the pooling window.",
    ("maxpool", "stride"): "Step between windows; by default equal to the size (no overlap).",
    ("avgpool", "size"): "Width and height of the pooling window.",
    ("avgpool", "stride"): "Step between windows; by default equal to the size (no overlap).",
    ("leaky_relu", "slope"): "How much of a negative value is kept (0 would be plain ReLU).",
    ("dropout", "rate"): "Fraction of values set to zero while training (none at test time).",
    ("batchnorm", "momentum"): "How quickly the running mean and variance follow each batch.",
    ("batchnorm", "eps"): "A small number added to the variance so it never divides by zero.",
}


def effective_value(raw: dict, name: str, fields: dict[str, Field]):
    """The value field `name` of layer `raw` has: its own, else its default; a default that
    names another field follows that field (a pool's stride is its size until it is set)."""
    if name in raw:
        return raw[name]
    default = fields[name].default
    if isinstance(default, str) and default in fields:
        return effective_value(raw, default, fields)
    return default


def layer_title(index: int, raw) -> str:
    """'Layer 3: conv 5x5' for the form's group box."""
    return f"Layer {index}: {describe(raw) if isinstance(raw, dict) else '?'}"
