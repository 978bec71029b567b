"""Which parts of an image a class score depends on, by the engine's own backward pass.

- saliency: max over channels of |d logit[class] / d input| (Simonyan, Vedaldi and Zisserman,
  "Deep inside convolutional networks", 2014).
- grad_cam: Grad-CAM (Selvaraju et al., 2017) on the last conv stage: the output of the last conv
  layer after the elementwise layers that follow it (batch norm, its nonlinearity), before any
  pooling. Each map k gets the weight alpha_k = the spatial mean of d logit[class] / d map_k; the
  CAM is ReLU(sum_k alpha_k map_k), upsampled bilinearly to the input's size and divided by its
  max (a CAM of zeros stays zeros).

The upsampling puts each map cell at the centre of its receptive field (receptive.py), so the
heat lands where the cell looks: for a map that pooling halved, that is exactly a bilinear resize
with half-pixel centres (PyTorch's interpolate with align_corners=False, OpenCV's resize); pixels
outside the outermost centres take the edge value.

Both run one inference-mode forward and one backward of one image. The backward overwrites the
parameters' .grad arrays, which only Network.train_step reads, right after its own backward
fills them: computing a saliency map between training steps changes nothing in training.
"""
from __future__ import annotations

import numpy as np

from cnnviz.engine.network import Network
from cnnviz.engine.receptive import Field, receptive_fields
from cnnviz.engine.spec import ELEMENTWISE

MODES = ("saliency", "gradcam")


def saliency(network: Network, image: np.ndarray, class_index: int) -> np.ndarray:
    """(H, W) float32: max over channels of |d logit[class_index] / d image|."""
    return explain(network, network.forward_taps(_one(network, image)), "saliency",
                   class_index)[0]


def grad_cam(network: Network, image: np.ndarray, class_index: int) -> np.ndarray:
    """(H, W) float32 in [0, 1]: Grad-CAM of class_index on the last conv stage (module doc)."""
    return explain(network, network.forward_taps(_one(network, image)), "gradcam",
                   class_index)[0]


def explain(network: Network, taps, mode: str, class_index: int | None
            ) -> tuple[np.ndarray, int]:
    """(map, class) for mode "saliency" or "gradcam", reusing the forward pass that produced
    `taps`: network.forward_taps(image[None]) for one image, with the batch axis, which must be
    the last pass the network ran (its layers still hold what backward needs). class_index None
    means the predicted class (the largest logit)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    logits = taps[-1]
    if logits.shape[0] != 1:
        raise ValueError(f"the taps must be of one image, not {logits.shape[0]}")
    if class_index is None:
        class_index = int(np.argmax(logits[0]))
    classes = logits.shape[1]
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)) \
            or not 0 <= class_index < classes:
        raise ValueError(f"class_index must be 0 to {classes - 1}, not {class_index!r}")
    if mode == "saliency":
        grad = class_gradient(network, class_index, -1)
        return np.abs(grad).max(axis=0).astype(np.float32), int(class_index)
    stage = last_conv_stage(network)
    maps = np.asarray(taps[stage][0], np.float64)
    grad = class_gradient(network, class_index, stage).astype(np.float64)
    cam = np.maximum(np.tensordot(grad.mean(axis=(1, 2)), maps, axes=1), 0)
    field = receptive_fields(network.summary)[stage]
    heat = upsample(cam, field, network.input_shape[1:])
    top = heat.max()
    return (heat / top if top > 0 else heat).astype(np.float32), int(class_index)


def class_gradient(network: Network, class_index: int, layer: int) -> np.ndarray:
    """d logit[class_index] / d (layer `layer`'s output; -1: the input) for the one image of the
    network's last forward pass (inference mode), without the batch axis."""
    dout = np.zeros((1, len(network.classes)), network.dtype)
    dout[0, class_index] = 1
    return network.backward_to(dout, layer)[0]


def last_conv_stage(network: Network) -> int:
    """The index of the last layer of the last conv stage: the last conv layer, or the last of the
    elementwise layers right after it."""
    kinds = [layer.kind for layer in network.layers]
    if "conv" not in kinds:
        raise ValueError("Grad-CAM needs a conv layer, and this network has none")
    stage = len(kinds) - 1 - kinds[::-1].index("conv")
    while stage + 1 < len(kinds) and kinds[stage + 1] in ELEMENTWISE:
        stage += 1
    return stage


def upsample(cam: np.ndarray, field: Field, size: tuple[int, int]) -> np.ndarray:
    """A (h, w) map to `size` (H, W) input pixels, bilinearly between the centres of the cells'
    receptive fields (edge values beyond the outermost centres)."""
    rows = _interpolation(size[0], cam.shape[0], field)
    cols = _interpolation(size[1], cam.shape[1], field)
    return rows @ cam @ cols.T


def _interpolation(pixels: int, cells: int, field: Field) -> np.ndarray:
    """(pixels, cells) linear interpolation weights along one axis."""
    where = np.clip((np.arange(pixels) - field.start) / field.jump, 0, cells - 1)
    low = np.floor(where).astype(int)
    high = np.minimum(low + 1, cells - 1)
    frac = where - low
    weights = np.zeros((pixels, cells))
    np.add.at(weights, (np.arange(pixels), low), 1 - frac)
    np.add.at(weights, (np.arange(pixels), high), frac)
    return weights


def _one(network: Network, image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.shape != network.input_shape:
        raise ValueError(f"the network takes one image of shape {network.input_shape}, "
                         f"not {image.shape}")
    return image[None]
