"""The "network input" preview of the Input dock: exactly what the network is given (the canvas
shrunk to the input size, for digits also cropped and centred), enlarged, with the saliency or
Grad-CAM heat over it when Explain is on. It is apart from the Prediction box's text because it
draws a picture: it keeps the probe it shows, so the heat can come and go without a new probe,
and the RGB it drew, so tests can read back what is on screen."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from cnnviz.app.panes.probe_pictures import to_rgb8
from cnnviz.app.panes.saliency_overlay import blend

SIDE = 84  # pixels, with the border

TOOLTIP = ("Exactly what the network is given: the canvas shrunk to the network's input size "
           "(for digits also cropped and centred). With Explain on, the heat over it shows which "
           "pixels the class's score depends on.")


class ProbePreview(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probe: np.ndarray | None = None  # the probe shown, (C, H, W)
        self.heat: np.ndarray | None = None   # the normalised map over it, (H, W) in 0..1
        self.rgb: np.ndarray | None = None    # (H, W, 3) uint8: what is shown, before enlarging
        self.setFixedSize(SIDE, SIDE)
        self.setAlignment(Qt.AlignCenter)
        self.setStyleSheet("border: 1px solid #888;")
        self.setToolTip(TOOLTIP)

    def show_probe(self, probe: np.ndarray) -> None:
        """Show a new probe, under the heat if the heat is of its size."""
        self.probe = probe
        rgb = to_rgb8(probe)
        if self.heat is not None and self.heat.shape == rgb.shape[:2]:
            rgb = blend(rgb, self.heat)
        self.rgb = rgb
        h, w = rgb.shape[:2]
        img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        self.setPixmap(QPixmap.fromImage(img).scaled(
            SIDE - 2, SIDE - 2, Qt.KeepAspectRatio, Qt.FastTransformation))

    def set_heat(self, heat: np.ndarray | None) -> None:
        """Put a normalised map over the probe shown, or (None) take it away."""
        had_heat = self.heat is not None
        self.heat = heat
        if self.probe is not None and (heat is not None or had_heat):  # (else nothing changes)
            self.show_probe(self.probe)
