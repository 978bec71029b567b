"""What the status bar says about training, and when: the counters line rewritten with every
snapshot, the training loop's news (a divergence stays until training goes on, other news for
15 s), and the result of the whole-test-set evaluation the user asked for with Test. The window
only puts these texts on screen; the rules are here, without Qt, where plain pytest checks them."""
from __future__ import annotations

NEWS_MS = 15000  # how long the loop's news other than a divergence stays
COMPILING_TIP = ("numba is compiling the engine's kernels for this machine's CPU: the first time "
                 "only, later starts load them from its cache. Train is enabled once the kernels "
                 "it needs are ready.")


def kernels(progress, warming: bool) -> str:
    """What numba is doing, from a warm-up Progress: during the first warm-up (`warming`) until
    it is done, afterwards while a kernel first used compiles; "" when there is nothing to say."""
    if progress.done or not (warming or progress.compiling):
        return ""
    if not progress.compiles:
        return "Loading the engine's kernels…"
    doing = f" · {progress.compiling}" if progress.compiling else ""
    return (f"Compiling the engine's kernels for this machine (first time only): "
            f"{min(progress.ready, progress.total)} of {progress.total} ready{doing}")


def counters(snap) -> str:
    """Epoch, step, training speed and test accuracy ("–" before the first evaluation)."""
    accuracy = "–" if snap.test_accuracy is None else f"{snap.test_accuracy:.1%}"
    return (f"  epoch {snap.epoch}   step {snap.step}   {snap.images_per_s:,.0f} images/s   "
            f"test accuracy {accuracy}  ")


class LoopNews:
    """The loop's last news (a snapshot's message): shown once when new; a divergence is shown
    until training runs again, and then taken away if nothing has replaced it."""

    def __init__(self):
        self.message, self.diverged = "", False

    def update(self, snap, showing: str) -> tuple[str, int] | None:
        """What to put in the status bar, now `showing`, for `snap`: (text, milliseconds, 0 for
        until replaced; "" clears the bar), or None to leave it."""
        news = None
        if snap.message and snap.message != self.message:
            news = (snap.message, 0 if snap.state == "diverged" else NEWS_MS)
        elif snap.state == "running" and self.message and showing == self.message and self.diverged:
            news = ("", 0)
        if snap.message:
            self.message, self.diverged = snap.message, snap.state == "diverged"
        return news

    def forget(self, showing: str) -> bool:
        """A new session: its predecessor's news is past. True if `showing` is that news (the
        bar is to be cleared)."""
        stale = bool(self.message) and showing == self.message
        self.message, self.diverged = "", False
        return stale


class EvaluationReport:
    """The Test action's answer: the accuracy of the first evaluation of the whole test set that
    arrives after Test was pressed (a snapshot carries the last evaluation until a newer one)."""

    def __init__(self):
        self.last = None        # the evaluation the latest snapshot carries (its identity)
        self.asked_after = None  # the one that was current when Test was pressed, or None

    def ask(self) -> None:
        self.asked_after = self.last

    def update(self, snap, test_images: int) -> str | None:
        """The text to say for `snap` out of a test set of `test_images`, once, or None."""
        self.last = (snap.evaluation_step, snap.evaluated_images, snap.test_loss)
        if self.asked_after is None or self.last == self.asked_after or snap.test_accuracy is None:
            return None
        if snap.evaluated_images != test_images:  # the periodic one on 1000 images
            return None
        self.asked_after = None
        return (f"Test accuracy at step {snap.evaluation_step}: {snap.test_accuracy:.1%} of all "
                f"{snap.evaluated_images:,} test images.")
