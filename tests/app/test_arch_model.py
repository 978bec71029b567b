"""The architecture editor's model without Qt: the edits, undo and redo, validation, the shapes
and receptive fields kept while the spec is invalid part-way, and saving. The expected numbers
are worked out by hand from the layers' arithmetic."""
import json
import subprocess
import sys

import pytest

from cnnviz.app.panes.arch_model import NEW_LAYER, ArchitectureModel, fields_of, partial_rows
from cnnviz.architectures import load_architecture
from tests.app.arch_specs import SMALL


def model_of(spec=SMALL):
    model = ArchitectureModel()
    model.set_spec(spec)
    return model


def types(model):
    return [layer["type"] for layer in model.layers]


def test_importing_the_models_loads_no_qt():
    code = ("import sys, cnnviz.app.panes.arch_model, cnnviz.app.panes.arch_rows, "
            "cnnviz.app.panes.layer_settings; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'pyqtgraph'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- the spec and its validation ---------------------------------------------------------------

def test_before_any_spec_there_is_nothing_to_edit():
    model = ArchitectureModel()
    assert model.spec is None and model.layers == [] and not model.is_valid()
    assert model.error_message() == "no architecture loaded"
    assert model.add_layer("relu", None) is None
    assert model.remove_layer(0) is None and model.undo(None) is None
    assert model.save("unused.json") == "There is no architecture to save."


def test_set_spec_keeps_a_copy_and_validates_it():
    spec = json.loads(json.dumps(SMALL))
    model = model_of(spec)
    spec["layers"][0]["filters"] = 99
    assert model.spec == SMALL and model.spec is not spec
    assert model.is_valid() and model.error is None and model.error_message() == ""
    assert model.summary.params == (9 * 4 + 4) + (36 * 2 + 2)  # conv weights+biases, dense
    assert model.summary.macs == 4 * 6 * 6 * 9 + 36 * 2


def test_set_spec_refuses_what_is_not_a_dict_and_mends_the_layers_list():
    with pytest.raises(TypeError, match="list"):
        ArchitectureModel().set_spec([])
    model = model_of(dict(SMALL, layers=tuple(SMALL["layers"])))
    assert isinstance(model.spec["layers"], list) and model.is_valid()
    model = model_of({"input": [1, 8, 8], "classes": ["a", "b"]})
    assert model.layers == [] and not model.is_valid()
    assert "'layers'" in model.error_message()


def test_an_error_in_the_middle_keeps_the_shapes_before_it():
    spec = json.loads(json.dumps(SMALL))
    spec["layers"][2]["size"] = 9  # a 9x9 pool on a 6x6 map
    model = model_of(spec)
    assert not model.is_valid() and model.summary is None
    assert model.error_layer() == 2 and "layer 2" in model.error_message()
    conv, relu, pool, flatten, dense = model.rows
    assert (conv.in_shape, conv.out_shape, conv.params, conv.macs) == ((1, 8, 8), (4, 6, 6), 40, 1296)
    assert relu.out_shape == (4, 6, 6) and relu.params == 0
    assert pool is flatten is dense is None
    assert [(f.size, f.jump) for f in model.fields[:2]] == [(3, 1), (3, 1)]
    assert model.fields[2:] == [None, None, None]


def test_a_wrong_last_layer_keeps_every_shape_and_names_that_layer():
    spec = json.loads(json.dumps(SMALL))
    spec["layers"][-1]["units"] = 3
    model = model_of(spec)
    assert model.error_layer() == 4 and "2 classes" in model.error_message()
    assert [row.out_shape for row in model.rows] == [(4, 6, 6), (4, 6, 6), (4, 3, 3), (36,), (3,)]
    assert model.fields[-1].whole


def test_the_error_field_belongs_to_the_layer_it_is_about():
    spec = json.loads(json.dumps(SMALL))
    spec["layers"][0]["kernel"] = 0
    model = model_of(spec)
    assert model.error_layer() == 0
    assert model.error_field(0) == "kernel"
    assert model.error_field(1) is None and model.error_field(None) is None
    assert model.rows == [None] * 5 and model.fields == [None] * 5


def test_partial_rows_stop_at_a_bad_input_or_an_empty_output():
    assert partial_rows(dict(SMALL, input=[1, 8])) == []
    assert partial_rows(dict(SMALL, input=[1, 0, 8])) == []
    assert partial_rows(dict(SMALL, input="big")) == []
    shrinking = dict(SMALL, layers=[{"type": "conv", "filters": 1, "kernel": 3}] * 5)
    assert [row.out_shape for row in partial_rows(shrinking)] == [(1, 6, 6), (1, 4, 4), (1, 2, 2)]
    assert fields_of([]) == []


def test_the_receptive_fields_of_lenet5_by_hand():
    """conv 5x5 -> 5 / 1, pool 2 -> 6 / 2, conv 5x5 -> 6 + 4*2 = 14 / 2, pool 2 -> 16 / 4, then
    the dense layers see the whole image."""
    model = model_of(load_architecture("lenet5"))
    assert [(f.size, f.jump) for f in model.fields[:6]] == [(5, 1), (5, 1), (6, 2), (14, 2),
                                                             (14, 2), (16, 4)]
    assert all(f.whole for f in model.fields[6:])


# ---- edits ---------------------------------------------------------------------------------------

def test_add_inserts_after_the_selected_layer_or_at_the_end():
    model = model_of()
    assert model.add_layer("dropout", 1) == 2
    assert types(model) == ["conv", "relu", "dropout", "maxpool", "flatten", "dense"]
    assert model.layers[2] == {"type": "dropout"} and model.is_valid()
    assert model.add_layer("conv", None) == 6
    assert model.layers[6] == NEW_LAYER["conv"] and model.layers[6] is not NEW_LAYER["conv"]
    assert not model.is_valid() and model.error_layer() == 6
    assert "flat vector" in model.error_message()


def test_remove_takes_the_layer_and_selects_the_one_now_in_its_place():
    model = model_of()
    assert model.remove_layer(1) == 1 and types(model) == ["conv", "maxpool", "flatten", "dense"]
    assert model.remove_layer(3) == 2  # the last layer: the one before it is selected
    assert model.remove_layer(None) is None and model.remove_layer(7) is None
    assert types(model) == ["conv", "maxpool", "flatten"]


def test_a_layer_that_is_not_a_dict_can_still_be_removed():
    model = model_of(dict(SMALL, layers=[None, *SMALL["layers"]]))
    assert model.layer(0) is None and model.has_layer(0) and not model.is_valid()
    assert model.rows == [None] * 6
    assert model.set_field(0, "kernel", 3) is False
    assert model.remove_layer(0) == 0 and model.is_valid()


def test_removing_every_layer_leaves_an_invalid_empty_list():
    model = model_of()
    for _ in range(5):
        assert model.remove_layer(0) == 0
    assert model.layers == [] and "non-empty" in model.error_message()
    assert model.rows == [] and model.fields == []


def test_duplicate_inserts_an_independent_copy():
    model = model_of()
    assert model.duplicate_layer(0) == 1
    assert model.layers[1] == model.layers[0] and model.layers[1] is not model.layers[0]
    assert model.set_field(1, "filters", 6)
    assert model.layers[0]["filters"] == 4
    assert model.duplicate_layer(None) is None


def test_move_swaps_with_the_neighbour_within_the_list():
    model = model_of()
    assert model.can_move(0, +1) and not model.can_move(0, -1) and not model.can_move(4, +1)
    assert not model.can_move(None, +1)
    assert model.move_layer(1, -1) == 0 and types(model)[:2] == ["relu", "conv"]
    assert model.move_layer(0, +1) == 1 and types(model)[:2] == ["conv", "relu"]
    assert model.move_layer(4, +1) is None and model.move_layer(0, -1) is None
    assert model.undo(1) == 0 and model.undo(0) == 1 and model.undo(1) is None  # two moves only


def test_remove_block_takes_the_conv_its_activation_and_its_pool():
    lenet = load_architecture("lenet5")  # conv, relu, maxpool, conv, relu, maxpool, flatten, ...
    model = model_of(lenet)
    assert model.conv_block(4) == range(3, 6) and model.conv_block(None) is None
    assert model.conv_block(len(lenet["layers"]) - 1) is None
    assert model.remove_block(4) == 3
    assert model.layers == lenet["layers"][:3] + lenet["layers"][6:]
    assert model.remove_block(len(model.layers) - 1) is None
    assert model.undo(3) == 4 and model.spec == lenet


def test_set_field_edits_and_validates_only_a_change():
    model = model_of()
    assert model.set_field(0, "kernel", 3) is False  # already 3: no edit
    assert model.undo(0) is None
    assert model.set_field(0, "kernel", 11)
    assert model.layers[0]["kernel"] == 11 and model.error_layer() == 0
    assert model.set_field(0, "kernel", 5) and model.is_valid()
    assert model.rows[0].out_shape == (4, 4, 4)
    assert model.set_field(None, "kernel", 3) is False


# ---- undo and redo -------------------------------------------------------------------------------

def test_undo_and_redo_walk_the_edits_with_their_selection():
    model = model_of()
    start = json.loads(json.dumps(model.spec))
    model.add_layer("relu", 0)
    added = json.loads(json.dumps(model.spec))
    for value in (1, 12):  # typing "12": two field edits, one undo step
        model.set_field(0, "filters", value)
    assert model.undo(0) == 0 and model.spec == added
    assert model.undo(1) == 0 and model.spec == start and model.is_valid()
    assert model.undo(0) is None
    assert model.redo(0) == 1 and model.spec == added  # the row selected when it was undone
    assert model.redo(0) == 0 and model.layers[0]["filters"] == 12
    assert model.redo(0) is None
    model.undo(0)
    model.remove_layer(3)  # a new edit: nothing left to redo
    assert model.redo(3) is None


def test_undo_returns_to_the_row_selected_before_the_edit_and_revalidates():
    model = model_of()
    model.set_field(2, "size", 9)  # invalid from layer 2 on
    model.remove_layer(4)
    assert model.undo(3) == 4 and model.error_layer() == 2
    assert model.undo(4) == 2 and model.is_valid() and model.rows[2].out_shape == (4, 3, 3)
    model.add_layer("relu", None)  # recorded with no row selected: row 0 comes back
    assert model.undo(5) == 0


def test_another_spec_starts_an_empty_history():
    model = model_of()
    model.remove_layer(0)
    model.set_spec(SMALL)
    assert model.undo(0) is None and model.redo(0) is None


# ---- saving --------------------------------------------------------------------------------------

def test_save_writes_the_spec_as_json(tmp_path):
    model = model_of()
    model.set_field(0, "filters", 5)
    path = tmp_path / "mine.json"
    assert model.save(path) is None
    assert json.loads(path.read_text()) == model.spec
    assert path.read_text().endswith("}\n") and list(tmp_path.iterdir()) == [path]


def test_save_refuses_an_invalid_spec_and_says_why_a_write_failed(tmp_path):
    model = model_of()
    model.set_field(0, "kernel", 11)
    problem = model.save(tmp_path / "bad.json")
    assert problem.startswith("Fix the architecture first") and model.error_message() in problem
    assert not (tmp_path / "bad.json").exists()
    model.set_field(0, "kernel", 3)
    missing = tmp_path / "missing-folder" / "x.json"
    assert model.save(missing).startswith(f"{missing}: cannot write it")
