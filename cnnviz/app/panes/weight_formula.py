"""What the Weight update dock writes, as plain text (no Qt): the optimizer's rule, the update
worked out line by line with the real numbers (rows_for, formula_html), the check of the
optimizer's result, the weight's name, and for the probe's sliding sum the power of ten its
gradients are scaled by, which of its positions lie on the zero padding, and its captions.

Apart from the widgets (weight_step.py, sliding_sum.py) so that every number and sentence the
learner reads can be checked by plain pytest against a WeightUpdate or GradientSum."""
from __future__ import annotations

import html

import numpy as np


def exact(value: float) -> str:
    """Enough digits to tell a float32 from its neighbours."""
    return f"{float(value):.8g}"


def _term(value: float) -> str:
    """A number inside a formula, in brackets when negative: 0.9 × (-0.0012)."""
    text = exact(value)
    return f"({text})" if float(value) < 0 else text


def rows_for(update) -> list[tuple[str, str, float]]:
    """(symbol, formula with the numbers, value) lines of the update, in the order it is
    worked out."""
    g, w, lr = update.grad, update.before, update.lr
    rows = [("w", "the weight before this step", w),
            ("dL/dW", "the gradient of this batch's loss (the mean over its images)", g)]
    if update.weight_decay:
        rows.append(("g", f"dL/dW + weight decay × w = {_term(g)} + {update.weight_decay:g} × "
                          f"{_term(w)}", update.effective_grad))
        g_name = "g"
    else:
        g_name = "dL/dW"
    g = update.effective_grad
    if update.optimizer == "sgd":
        if update.momentum:
            v = update.momentum * update.velocity_before + g
            rows.append(("v", f"momentum × v + {g_name} = {update.momentum:g} × "
                              f"{_term(update.velocity_before)} + {_term(g)}", v))
            step = g + update.momentum * v if update.nesterov else v
            name = f"{g_name} + momentum × v" if update.nesterov else "v"
            rows.append(("lr × step", f"{lr:g} × {_term(step)}  (step = {name})", lr * step))
        else:
            rows.append((f"lr × {g_name}", f"{lr:g} × {_term(g)}", lr * g))
    else:
        b1, b2 = update.beta1, update.beta2
        c1, c2 = update.bias_corrections()
        m = b1 * update.m_before + (1 - b1) * g
        v = b2 * update.v_before + (1 - b2) * g * g
        t = update.adam_step
        rows += [("m", f"β1 m + (1 − β1) {g_name} = {b1:g} × {_term(update.m_before)} + "
                       f"{1 - b1:.3g} × {_term(g)}", m),
                 ("v", f"β2 v + (1 − β2) {g_name}² = {b2:g} × {_term(update.v_before)} + "
                       f"{1 - b2:.3g} × {_term(g)}²", v),
                 ("m̂", f"m / (1 − β1^t), t = {t}: {_term(m)} / {c1:.6g}", m / c1),
                 ("v̂", f"v / (1 − β2^t): {_term(v)} / {c2:.6g}", v / c2),
                 ("lr × m̂ / (√v̂ + ε)", f"{lr:g} × {_term(m / c1)} / (√{exact(v / c2)} + "
                                       f"{update.eps:g})", update.term())]
    rows.append(("w_new", f"w − {rows[-1][0]} = {_term(w)} − {_term(update.term())}",
                 update.expected_after()))
    return rows


def rule(update) -> str:
    if update.optimizer == "adam":
        return "Adam: w_new = w − lr × m̂ / (√v̂ + ε)"
    if update.momentum:
        return (f"SGD with {'Nesterov ' if update.nesterov else ''}momentum "
                f"{update.momentum:g}: v = momentum × v + dL/dW, w_new = w − lr × v")
    return "SGD: w_new = w − lr × dL/dW"


def formula_html(update) -> str:
    cells = "".join(
        f"<tr><td><b>{html.escape(symbol)}</b></td><td>&nbsp;=&nbsp;</td>"
        f"<td>{html.escape(formula)}</td><td>&nbsp;=&nbsp;</td>"
        f"<td align='right'><b>{exact(value)}</b></td></tr>"
        for symbol, formula, value in rows_for(update))
    return f"<table cellspacing='3'>{cells}</table>"


def check_text(update, now: float) -> str:
    """The optimizer's result against the formula's, and the weight now (which differs when
    recovery restored the last good weights)."""
    same = update.expected_after() == update.after
    text = (f"The optimizer wrote w_new = {exact(update.after)}"
            f"{' ✓' if same else f' (worked out here: {exact(update.expected_after())})'}"
            f"; the weight moved by {exact(update.change)}.")
    if now != update.after:
        text += f" It is {exact(now)} now (the last good weights were restored)."
    return text


def weight_title(names, ref) -> str:
    """The dock's heading for a WeightRef, in the Inspector's names (inspector_pages.Names)."""
    layer = f"{names.layer(ref.layer)} (layer {ref.layer})"
    if ref.name == "bias":
        kind = "filter" if names.summary.layers[ref.layer].type == "conv" else "unit"
        return f"{layer} · bias of {kind} {ref.index[0]}"
    if len(ref.index) == 4:
        f, c, y, x = ref.index
        return (f"{layer} · filter {f} · {names.channel(ref.layer - 1, c)} · weight (row {y}, "
                f"column {x})")
    return f"{layer} · unit {ref.index[0]} · weight of input {ref.index[1]}"


def decade(values: np.ndarray) -> int:
    """The power of ten that brings the largest |value| to 1..10, when it is under 0.1; else 0."""
    top = float(np.abs(values).max()) if values.size else 0.0
    if top == 0 or top >= 0.1 or not np.isfinite(top):
        return 0
    return int(np.floor(np.log10(top)))


def scaled_title(name: str, power: int) -> str:
    """A grid's title saying the power of ten its numbers were multiplied by."""
    return name if power == 0 else f"{name} × 10^{-power}"


def padding_mask(summed, in_shape) -> np.ndarray:
    """True where a conv weight sat on the zero padding around its layer's input (of shape
    in_shape, (C, H, W)), at each position of the sliding sum."""
    _, height, width = in_shape
    _, _, i, j = summed.ref.index
    rows, cols = summed.inputs.shape
    y = np.arange(rows) * summed.stride + i - summed.padding
    x = np.arange(cols) * summed.stride + j - summed.padding
    return ((y < 0) | (y >= height))[:, None] | ((x < 0) | (x >= width))[None, :]


def sum_caption(positions: int, class_name: str) -> str:
    where = "the map's position" if positions == 1 else f"all {positions} positions of the map"
    return (f"Where dL/dW comes from, for the probe image alone (the loss of class "
            f"'{class_name}'): the sum over {where} of the input under the weight × dL/d(map). "
            f"The batch's dL/dW above is the mean of such sums over its images.")


def sum_total(summed) -> str:
    """The sliding sum's total beside the engine's gradient, ticked when they agree."""
    ok = "✓" if np.isclose(summed.total, summed.engine, rtol=1e-4, atol=1e-7) else "✗"
    return (f"Σ = {exact(summed.total)}   ·   the engine's dL/dW for this image: "
            f"{exact(summed.engine)} {ok}")
