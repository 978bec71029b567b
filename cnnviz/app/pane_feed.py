"""Which pane gets what, without Qt: the window's panes as one bundle, and what each of them is
given of a dataset, of a new network, of a network edited in the worker, and of a snapshot.
Apart from the session controller, which decides when these happen and what the worker is told,
so that the one list of "who shows what" is read (and tested with fakes) on its own page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panes:
    """The window's panes, its architecture editor and its toolbar (any objects with their
    methods: fakes in the tests)."""
    toolbar: Any
    editor: Any
    network_view: Any
    inspector: Any
    weight_step: Any
    curves: Any
    health: Any
    timeline: Any
    evaluation: Any
    top_images: Any
    input: Any


def show_dataset(panes: Panes, data, digit_like: bool) -> None:
    """The probe's shape and classes, and the test images for the Input dock's browser, the
    Evaluation and the Top images. The first test image becomes the probe: something to see."""
    panes.input.configure(data.input_shape[0], tuple(data.input_shape[1:]), digit_like,
                          list(data.classes))
    panes.input.set_test_set(data.test_x, data.test_y)
    if len(data.test_x):
        panes.input.show_test_image(0)
    panes.evaluation.set_classes(list(data.classes))
    panes.evaluation.set_test_images(data.test_x)
    panes.evaluation.set_test_labels(data.test_y)
    panes.top_images.set_test_set(data.test_x, data.test_y, data.classes)


def show_new_network(panes: Panes, summary, history) -> None:
    """Another network (a new session): every pane starts over; the curves are `history`, a
    model file's (curve_history.parse), if there is one. The weight watched stays if the
    network is the same (Reset)."""
    panes.network_view.set_network(summary)
    panes.top_images.set_network(summary)
    panes.inspector.set_network(summary)  # another network: nothing inspected
    panes.weight_step.set_network(summary, keep=summary == panes.weight_step.summary)
    if history:
        panes.curves.restore(history)
    else:
        panes.curves.reset()
    panes.evaluation.clear()  # of weights that are gone
    panes.health.reset()
    panes.timeline.reset()


def show_new_version(panes: Panes, summary) -> bool:
    """The network edited in the worker, its training going on: the panes drawing its shapes
    take the new ones. True if the inspected cell was dropped (the Inspector's network
    changed); the weight watched stays until the snapshots say it is gone."""
    panes.network_view.set_network(summary)
    panes.top_images.set_network(summary)
    dropped = panes.inspector.set_network(summary)
    panes.weight_step.set_network(summary, keep=True)
    return dropped


def show_snapshot(panes: Panes, snap) -> None:
    """Each pane draws its part of a snapshot."""
    panes.network_view.update_snapshot(snap)
    panes.inspector.update_snapshot(snap)
    panes.curves.add_snapshot(snap)
    panes.health.add_snapshot(snap)
    panes.weight_step.update_snapshot(snap)
    panes.timeline.add_snapshot(snap)
    panes.evaluation.update_snapshot(snap)
    panes.top_images.update_snapshot(snap)
    panes.input.show_prediction(snap.probe_probabilities)
    panes.input.show_saliency(snap.saliency, snap.saliency_mode, snap.saliency_class)
    panes.input.set_misclassified(snap.misclassified, snap.evaluation_step)
