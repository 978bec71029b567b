"""The engine's GEMM: numpy's OpenBLAS called from numba, split over threads."""
import numpy as np
import pytest

from cnnviz.engine.blas import BLAS, matmul
from cnnviz.engine.kernels import use_threads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("tasks", [1, 2, 3])
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 5, 3), (3, 9, 17), (33, 64, 2)])
def test_matmul_matches_numpy(dtype, trans_a, trans_b, tasks, m, k, n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    out = np.full((m, n), np.nan, dtype)
    use_threads(min(tasks, 2))
    matmul(BLAS.gemm_for(dtype), a, b, out, trans_a, trans_b, tasks)
    expected = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-12)


def test_blas_is_numpys_own():
    assert "openblas" in BLAS.path.lower()
    assert BLAS.sgemm and BLAS.dgemm and BLAS.sgemm != BLAS.dgemm


def test_missing_blas_is_none_with_a_clear_reason(monkeypatch):
    from cnnviz.engine import blas
    monkeypatch.setattr(blas, "_library_candidates", lambda: [])
    found, why = blas.find_blas()
    assert found is None
    assert why.startswith("numpy's BLAS is not the OpenBLAS its PyPI wheels bundle")
    assert "none was found beside numpy" in why


def test_a_library_without_cblas_is_skipped_with_its_reason(monkeypatch, tmp_path):
    import ctypes.util

    from cnnviz.engine import blas
    libm = ctypes.util.find_library("m")
    if libm is None:
        pytest.skip("no C maths library to stand in for a BLAS without cblas")
    monkeypatch.setattr(blas, "_library_candidates", lambda: [libm])
    found, why = blas.find_blas()
    assert found is None and "has no 64-bit cblas_sgemm" in why


@pytest.mark.parametrize("stride,padding", [(1, 2), (2, 1), (1, 0)])
def test_the_conv_layer_without_blas_gives_the_same_sums_as_with_it(stride, padding):
    """numpy's matmul stands in when numpy's BLAS is not OpenBLAS (engine/conv_fallback.py)."""
    from cnnviz.engine.layers import Conv
    from cnnviz.engine.reference import conv_backward, conv_forward
    config = {"type": "conv", "filters": 4, "kernel": 5, "stride": stride, "padding": padding,
              "init": "he"}
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 3, 11, 11))
    layer = Conv.from_dict(config, (3, 11, 11), np.float64, rng)
    layer._gemm = None  # as where BLAS is None
    weight, bias = layer.weight.value, layer.bias.value
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out, conv_forward(x, weight, bias, stride, padding), atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    expected_dx, expected_dw, expected_db = conv_backward(x, weight, dout, stride, padding)
    np.testing.assert_allclose(dx, expected_dx, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, expected_dw, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, expected_db, atol=1e-12)
