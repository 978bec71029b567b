"""A sequential network built from a spec: forward (optionally with every layer's output, the
visualiser's taps), backward, parameters, and a training step."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from cnnviz.engine import spec as specs
from cnnviz.engine.interrupt import NEVER, Interrupted, InterruptFlag
from cnnviz.engine.layers import Layer, Parameter, build_layer
from cnnviz.engine.losses import LOSSES, softmax
from cnnviz.engine.optim import Optimizer


@dataclass(frozen=True)
class StepResult:
    loss: float
    correct: int  # how many of the batch the network got right (before the update)


class Network:
    def __init__(self, spec: dict, seed: int = 0, dtype=np.float32):
        self.summary = specs.validate(spec)
        self.spec = specs.normalised(spec)
        self.dtype = np.dtype(dtype)
        self.seed = seed
        init_seed, dropout_seed = np.random.SeedSequence(seed).spawn(2)
        init_rng = np.random.default_rng(init_seed)
        dropout_rng = np.random.default_rng(dropout_seed)
        self.layers: list[Layer] = [build_layer(info, self.dtype, init_rng if info.params else
                                                dropout_rng) for info in self.summary.layers]
        # Nothing before the first learnable layer needs a gradient: backward stops there.
        first = next((i for i, layer in enumerate(self.layers) if layer.params()), len(self.layers))
        self._first_learnable = first
        if first < len(self.layers):
            self.layers[first].needs_input_grad = False
        self.loss_fn = LOSSES[self.summary.loss]

    @property
    def first_learnable(self) -> int:
        """The index of the first layer with parameters: training's backward pass stops there."""
        return self._first_learnable

    @property
    def classes(self) -> tuple[str, ...]:
        return self.summary.classes

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.summary.input

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError(f"the network takes a batch of shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"not {x.shape}")
        return np.ascontiguousarray(x, dtype=self.dtype)

    @contextmanager
    def _interruptible(self, interrupt: InterruptFlag | None):
        """Hand the flag to the layers for one call; raise Interrupted after any layer once it is
        set (interrupt.py). Calls without a flag run to the end."""
        flag = NEVER if interrupt is None else interrupt
        for layer in self.layers:
            layer.interrupt = flag
        try:
            yield flag
        finally:
            for layer in self.layers:
                layer.interrupt = NEVER

    def forward(self, x: np.ndarray, training: bool = False,
                interrupt: InterruptFlag | None = None,
                each_layer: Callable[[int, np.ndarray], None] | None = None):
        """The network's outputs (logits) for a batch (N, C, H, W). Raises Interrupted once
        `interrupt` is set (the outputs would be incomplete). `each_layer(i, output)` is shown
        every layer's output as it is made (an evaluation's statistics, without keeping every
        layer's output as forward_taps does)."""
        x = self._check_input(x)
        with self._interruptible(interrupt) as flag:
            for i, layer in enumerate(self.layers):
                x = layer.forward(x, training)
                if flag:
                    raise Interrupted
                if each_layer is not None:
                    each_layer(i, x)
        return x

    def forward_taps(self, x: np.ndarray) -> list[np.ndarray]:
        """Inference that keeps every layer's output: taps[i] is layer i's output; the last is
        the logits. (Outputs are fresh arrays; no layer overwrites another's.)"""
        x = self._check_input(x)
        taps = []
        for layer in self.layers:
            x = layer.forward(x, False)
            taps.append(x)
        return taps

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.forward(x, training=False))

    def backward(self, dout: np.ndarray, input_grad: bool = False,
                 interrupt: InterruptFlag | None = None) -> np.ndarray | None:
        """Backpropagate the gradient of the loss with respect to the output; fills every
        Parameter.grad. With input_grad, also returns the gradient with respect to the input
        (saliency); otherwise it stops at the first learnable layer. Raises Interrupted once
        `interrupt` is set (the gradients would be incomplete)."""
        if input_grad:
            return self.backward_to(dout, -1, interrupt)
        self._backward(dout, self._first_learnable, False, interrupt)
        return None

    def backward_to(self, dout: np.ndarray, layer: int,
                    interrupt: InterruptFlag | None = None) -> np.ndarray:
        """The gradient with respect to layer `layer`'s output (taps[layer]; -1: the network's
        input), backpropagated from `dout` through the layers after it, which fill their
        Parameter.grad (earlier layers' grads are left as they were). Like backward, it uses
        what the last forward pass kept (Grad-CAM takes the gradient of a class score with
        respect to the last conv stage's maps this way)."""
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) \
                or not -1 <= layer < len(self.layers):
            raise ValueError(f"layer must be -1 (the input) to {len(self.layers) - 1}, "
                             f"not {layer!r}")
        return self._backward(dout, int(layer) + 1, True, interrupt).copy()  # buffers are reused

    def backward_taps(self, dout: np.ndarray) -> list[np.ndarray | None]:
        """Backpropagate like `backward`, keeping the gradient with respect to every layer's
        output on the way: grads[i] is dL/d(taps[i]) (a copy), None for the layers before the
        first learnable one, where the pass stops (nothing there has a weight to learn)."""
        grads: list[np.ndarray | None] = [None] * len(self.layers)
        for i in range(len(self.layers) - 1, self._first_learnable - 1, -1):
            grads[i] = np.array(dout, copy=True)  # the next layer reuses its buffers
            dout = self.layers[i].backward(dout)
        return grads

    def _backward(self, dout: np.ndarray, stop: int, input_grad: bool,
                  interrupt: InterruptFlag | None) -> np.ndarray | None:
        """Run layers[stop:] backward; with input_grad the layer at `stop` returns its input
        gradient even when it is the first learnable layer, whose input gradient training skips."""
        toggle = input_grad and stop <= self._first_learnable < len(self.layers)
        if toggle:
            self.layers[self._first_learnable].needs_input_grad = True
        try:
            with self._interruptible(interrupt) as flag:
                for layer in reversed(self.layers[stop:]):
                    dout = layer.backward(dout)
                    if flag:
                        raise Interrupted
        finally:
            if toggle:
                self.layers[self._first_learnable].needs_input_grad = False
        return dout

    def loss(self, x: np.ndarray, labels: np.ndarray, training: bool = False,
             interrupt: InterruptFlag | None = None):
        """(loss, gradient wrt the outputs, outputs) for a batch."""
        outputs = self.forward(x, training, interrupt)
        loss, grad = self.loss_fn(outputs, labels)
        return loss, grad, outputs

    def train_step(self, x: np.ndarray, labels: np.ndarray, optimizer: Optimizer,
                   interrupt: InterruptFlag | None = None) -> StepResult:
        """One step: forward, loss, backward, weight update. Once `interrupt` is set the step is
        abandoned before the update and Interrupted raised: the network is as it was before."""
        running = [(buf, buf.copy()) for layer in self.layers
                   for buf in layer.buffers().values()] if interrupt is not None else []
        try:
            loss, grad, outputs = self.loss(x, labels, True, interrupt)
            self.backward(grad, interrupt=interrupt)
        except Interrupted:
            for buf, before in running:  # batch norm's running statistics
                buf[...] = before
            raise
        optimizer.step(self.parameters())
        return StepResult(loss, int(np.sum(outputs.argmax(axis=1) == labels)))

    # ---- parameters and state -------------------------------------------------------------

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """('index.name', Parameter) in layer order, e.g. '0.weight' (PyTorch Sequential keys)."""
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers)
                for name, p in layer.params().items()]

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every learned value and buffer by 'index.name' (copies)."""
        state = {name: p.value.copy() for name, p in self.named_parameters()}
        for i, layer in enumerate(self.layers):
            state.update({f"{i}.{name}": buf.copy() for name, buf in layer.buffers().items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy values in; every key must be present with the right shape."""
        targets = {name: p.value for name, p in self.named_parameters()}
        for i, layer in enumerate(self.layers):
            targets.update({f"{i}.{name}": buf for name, buf in layer.buffers().items()})
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if missing or unexpected:
            raise ValueError(f"weights do not match the network: missing {missing or 'none'}, "
                             f"unexpected {unexpected or 'none'}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"weight '{name}' has shape {value.shape}, the network needs "
                                 f"{target.shape}")
            target[...] = value
