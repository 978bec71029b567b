"""`cnnviz bench`'s reports: the networks it runs, the GFLOP/s line, the --profile table. Nothing
here is timed: the figures are only checked to be there and to add up."""
from cnnviz import bench, bench_profile
from cnnviz.architectures import builtin_names, load_architecture
from cnnviz.bench_flops import training_flops
from cnnviz.cli import main
from cnnviz.engine.blas import BLAS
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD


def test_the_reference_networks_are_built_in():
    assert bench.NETWORKS == ("lenet5", "fashion-2conv", "fashion-2conv-bn", "alexnet-mini")
    assert set(bench.NETWORKS) <= set(builtin_names())
    assert load_architecture("alexnet-mini")["input"] == [3, 32, 32]


def test_training_flops_count_forward_and_both_gradients_but_the_first_input_gradient():
    network = Network(load_architecture("lenet5"))
    macs = [info.macs for info in network.summary.layers if info.type in ("conv", "dense")]
    assert training_flops(network, 64) == 2 * 64 * (2 * macs[0] + 3 * sum(macs[1:]))


def test_the_report_gives_gflops_and_the_share_of_the_peak():
    result = bench.Result("lenet5", 1000.0, 64.0, 0.1, step_gflop=0.128, torch_images_per_s=500.0,
                          torch_latency_ms=0.2)
    assert result.gflops == 2.0 and result.torch_gflops == 1.0
    text = bench.report([result], peak_gflops=4.0)
    assert "GFLOP/s of peak" in text.splitlines()[0]
    assert "50%" in text and "25%" in text and "4 GFLOP/s" in text
    assert BLAS is None or "OpenBLAS kernels: " in text.splitlines()[-1]


def test_the_profile_has_a_row_per_layer_and_the_update():
    spec = load_architecture("lenet5")
    network = Network(spec)
    rows = bench_profile.profile(network, bench.make_batches(spec, count=2), SGD(), steps=2)
    assert [row.name for row in rows[:2]] == ["0 conv 5x5", "1 relu"]
    assert [row.name for row in rows[-2:]] == ["loss", "SGD update"]
    assert len(rows) == len(network.layers) + 2
    assert rows[0].backward_ms > 0 and all(row.backward_ms == 0 for row in rows[-2:])
    table = bench_profile.table("lenet5", rows).splitlines()
    assert table[1].split() == ["layer", "forward", "ms", "backward", "ms", "share", "of", "step"]
    assert len(table) == len(rows) + 2


def test_bench_profile_prints_a_table(capsys):
    assert main(["bench", "--profile", "--networks", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lenet5: ") and "SGD update" in out
