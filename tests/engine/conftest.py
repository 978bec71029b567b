import pytest

from cnnviz.engine.layers import Conv, Dense


@pytest.fixture(params=["serial", "parallel"])
def thread_paths(request, monkeypatch):
    """Run a test twice: as small batches run (one thread), and with every conv and dense layer
    forced onto its parallel path (batch split over threads, dense GEMM split in blocks)."""
    if request.param == "parallel":
        monkeypatch.setattr(Conv, "PARALLEL_MIN_MACS", 0)
        monkeypatch.setattr(Dense, "PARALLEL_MIN_MACS", 0)
        monkeypatch.setattr(Dense, "GEMM_MIN_BATCH", 1)
    return request.param


@pytest.fixture(params=["channels first", "channels last"])
def conv_layouts(request, monkeypatch):
    """Run a test with the conv layers unrolling images in each layout (engine/conv_im2col.py),
    whichever their shapes would pick."""
    monkeypatch.setattr(Conv, "LAYOUT", request.param)
    return request.param
