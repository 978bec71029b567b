"""The network view's stage plan, without Qt: each conv, pool, dense or flatten layer starts a
stage, and the elementwise layers after it (activation, batch norm, dropout) join it; the stage
shows its last layer's output."""
from cnnviz.app.panes.number_text import shape_text
from cnnviz.app.panes.stage_plan import Stage, plan_stages
from cnnviz.engine.spec import validate

SPEC = {"input": [3, 16, 16], "classes": ["a", "b"],
        "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0
                   {"type": "batchnorm"}, {"type": "relu"},                    # 1, 2
                   {"type": "maxpool", "size": 2},                             # 3
                   {"type": "conv", "filters": 4, "kernel": 3},                # 4
                   {"type": "tanh"},                                           # 5
                   {"type": "flatten"},                                        # 6
                   {"type": "dense", "units": 8}, {"type": "dropout", "rate": 0.5},  # 7, 8
                   {"type": "dense", "units": 2}]}                             # 9


def test_elementwise_layers_join_the_stage_before_them():
    assert plan_stages(validate(SPEC)) == [
        Stage(0, 2, "conv"), Stage(3, 3, "maxpool"), Stage(4, 5, "conv"),
        Stage(6, 6, "flatten"), Stage(7, 8, "dense"), Stage(9, 9, "dense")]


def test_shapes_are_written_with_a_times_sign():
    assert shape_text((8, 32, 32)) == "8×32×32" and shape_text((10,)) == "10"
