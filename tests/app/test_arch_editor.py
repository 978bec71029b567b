"""The architecture editor pane: layer list, per-layer form, instant validation, open/save."""
import json

import pytest

from cnnviz.app.panes.arch_editor import ArchitectureEditor
from cnnviz.app.panes.arch_rows import COL_LAYER, COL_MACS, COL_OUTPUT, COL_PARAMS, COL_RF, compact
from cnnviz.architectures import load_architecture
from cnnviz.engine.receptive import receptive_fields
from cnnviz.engine.spec import FIELDS, SpecError, shape_text, validate
from tests.app.arch_specs import SMALL


@pytest.fixture
def messages():
    return []


@pytest.fixture
def editor(qtbot, messages):
    widget = ArchitectureEditor(message=lambda title, text: messages.append((title, text)))
    qtbot.addWidget(widget)
    return widget


def row_texts(editor, index):
    item = editor.tree.topLevelItem(index)
    return [item.text(column) for column in range(editor.tree.columnCount())]


def test_lenet5_rows_show_shapes_params_and_macs(editor, qtbot):
    spec = load_architecture("lenet5")
    with qtbot.waitSignal(editor.spec_changed) as blocker:
        editor.set_spec(spec)
    assert blocker.args[1] is True
    summary = validate(spec)
    assert editor.tree.topLevelItemCount() == len(summary.layers) == 12
    for info in summary.layers:
        texts = row_texts(editor, info.index)
        assert texts[COL_LAYER] == info.label
        assert texts[COL_OUTPUT] == shape_text(info.out_shape, "\u00d7")
        assert texts[COL_PARAMS] == compact(info.params)
        assert texts[COL_MACS] == compact(info.macs)
    assert row_texts(editor, 3)[COL_OUTPUT] == "16\u00d710\u00d710"
    assert row_texts(editor, 3)[COL_PARAMS] == "2.4k"
    assert "61,706" in editor.totals_label.text() and "416,520" in editor.totals_label.text()
    assert editor.is_valid() and editor.error() == ""
    assert editor.spec() == spec and editor.spec() is not editor.spec()


def test_invalid_edit_marks_layer_and_fixing_it_clears(editor, qtbot):
    editor.set_spec(SMALL)
    editor.select_layer(0)
    kernel = editor.form.field_widget("kernel")
    with qtbot.waitSignal(editor.spec_changed) as blocker:
        kernel.setValue(11)
    spec, valid = blocker.args
    assert valid is False and spec["layers"][0]["kernel"] == 11
    with pytest.raises(SpecError) as engine:
        validate(spec)
    assert engine.value.layer == 0
    assert not editor.is_valid()
    assert editor.error() == str(engine.value)
    assert editor.error_layer() == 0
    assert str(engine.value) in editor.error_label.text()
    assert not editor.error_label.isHidden()
    bad = editor.tree.topLevelItem(0)
    assert bad.text(COL_LAYER).startswith("\u26a0")
    assert bad.foreground(COL_LAYER).color().name() == "#c0392b"
    assert "shown once" in editor.totals_label.text()
    # layers after the error cannot be worked out
    assert row_texts(editor, 1)[COL_OUTPUT] == "?"

    with qtbot.waitSignal(editor.spec_changed) as blocker:
        kernel.setValue(3)
    assert blocker.args[1] is True
    assert editor.is_valid() and editor.error() == "" and editor.error_label.isHidden()
    assert not editor.tree.topLevelItem(0).text(COL_LAYER).startswith("\u26a0")
    assert editor.tree.topLevelItem(0).foreground(COL_LAYER).color().name() != "#c0392b"


def test_wrong_final_layer_keeps_shapes_and_marks_last(editor):
    spec = json.loads(json.dumps(SMALL))
    spec["layers"][-1]["units"] = 3
    editor.set_spec(spec)
    assert not editor.is_valid()
    assert editor.error_layer() == 4
    assert row_texts(editor, 4)[COL_OUTPUT] == "3"  # shapes still shown up to the error
    assert "2 classes" in editor.error()


def test_add_remove_move_duplicate(editor, qtbot):
    editor.set_spec(SMALL)
    types = lambda: [layer["type"] for layer in editor.spec()["layers"]]

    editor.select_layer(1)
    with qtbot.waitSignal(editor.spec_changed):
        editor.add_layer("dropout")
    assert types() == ["conv", "relu", "dropout", "maxpool", "flatten", "dense"]
    assert editor.current_index() == 2 and editor.is_valid()

    with qtbot.waitSignal(editor.spec_changed):
        editor.remove_button.click()
    assert types() == ["conv", "relu", "maxpool", "flatten", "dense"]

    editor.select_layer(0)
    with qtbot.waitSignal(editor.spec_changed):
        editor.duplicate_button.click()
    assert types() == ["conv", "conv", "relu", "maxpool", "flatten", "dense"]
    assert editor.spec()["layers"][1] == SMALL["layers"][0]
    assert editor.current_index() == 1

    editor.select_layer(2)
    with qtbot.waitSignal(editor.spec_changed) as blocker:
        editor.up_button.click()
    assert types() == ["conv", "relu", "conv", "maxpool", "flatten", "dense"]
    assert editor.current_index() == 1 and blocker.args[1] is True
    with qtbot.waitSignal(editor.spec_changed):
        editor.down_button.click()
    assert types() == ["conv", "conv", "relu", "maxpool", "flatten", "dense"]
    assert editor.current_index() == 2

    editor.select_layer(5)  # the last layer cannot move down
    assert not editor.down_button.isEnabled() and editor.up_button.isEnabled()

    # dense before flatten is fine; conv after flatten is not, and says why
    editor.select_layer(4)
    editor.add_layer("conv")
    assert types()[5] == "conv" and not editor.is_valid() and editor.error_layer() == 5
    assert "flat vector" in editor.error()


def test_every_layer_type_can_be_added(editor):
    editor.set_spec(SMALL)
    for kind in FIELDS:
        editor.select_layer(0)
        editor.add_actions[kind].trigger()
        assert editor.spec()["layers"][1]["type"] == kind
        assert editor.form.layer_type() == kind
        assert set(editor.form._widgets) == set(FIELDS[kind])
        editor.remove_layer()
    assert editor.spec() == SMALL


def test_form_edits_update_the_spec(editor, qtbot):
    editor.set_spec(load_architecture("lenet5"))
    editor.select_layer(0)
    assert editor.form_box.title() == "Layer 0: conv 5x5"
    padding = editor.form.field_widget("padding")
    assert padding.value() == 2
    with qtbot.waitSignal(editor.spec_changed) as blocker:
        padding.setValue(padding.minimum())  # the special value: 'same'
    assert blocker.args[0]["layers"][0]["padding"] == "same" and blocker.args[1]
    assert padding.text() == "same"
    editor.form.field_widget("filters").setValue(12)
    editor.form.field_widget("init").setCurrentText("glorot")
    layer = editor.spec()["layers"][0]
    assert layer == {"type": "conv", "filters": 12, "kernel": 5, "padding": "same",
                     "init": "glorot"}
    assert row_texts(editor, 0)[COL_OUTPUT] == "12\u00d728\u00d728"

    editor.select_layer(2)  # maxpool: stride follows size until it is set
    stride = editor.form.field_widget("stride")
    editor.form.field_widget("size").setValue(3)
    assert stride.value() == 3 and "stride" not in editor.spec()["layers"][2]
    assert editor.form_box.title() == "Layer 2: maxpool 3x3"
    stride.setValue(1)
    assert editor.spec()["layers"][2] == {"type": "maxpool", "size": 3, "stride": 1}

    editor.add_layer("dropout")
    editor.form.field_widget("rate").setValue(0.25)
    assert editor.spec()["layers"][3] == {"type": "dropout", "rate": 0.25}
    editor.add_layer("batchnorm")
    eps = editor.form.field_widget("eps")
    assert eps.text() == "1e-05"
    eps.setValue(1e-3)
    assert editor.spec()["layers"][4]["eps"] == pytest.approx(1e-3)
    assert editor.is_valid(), editor.error()


def test_save_then_load_round_trips(editor, tmp_path, messages):
    spec = load_architecture("shapes-small")
    editor.set_spec(spec)
    editor.select_layer(0)
    editor.form.field_widget("filters").setValue(5)
    path = tmp_path / "mine.json"
    assert editor.save_file(path)
    assert not list(tmp_path.glob(".*tmp"))  # the temporary file was renamed away
    saved = json.loads(path.read_text())
    assert saved["layers"][0]["filters"] == 5

    other = ArchitectureEditor(message=lambda title, text: messages.append((title, text)))
    try:
        assert other.load_file(path)
        assert other.spec() == editor.spec() and other.is_valid()
    finally:
        other.deleteLater()
    assert messages == []


def test_saving_an_invalid_spec_is_refused(editor, tmp_path, messages):
    editor.set_spec(SMALL)
    editor.form.field_widget("kernel").setValue(11)
    path = tmp_path / "bad.json"
    assert not editor.save_file(path)
    assert not path.exists() and len(messages) == 1


def test_loading_broken_json_keeps_the_spec_and_shows_the_error(editor, tmp_path, messages,
                                                                 qtbot):
    editor.set_spec(SMALL)
    broken = tmp_path / "broken.json"
    broken.write_text('{"input": [1, 8, 8], "layers": [')
    with qtbot.assertNotEmitted(editor.spec_changed):
        assert not editor.load_file(broken)
    assert len(messages) == 1 and "not valid JSON" in messages[0][1]
    assert str(broken) in messages[0][1]
    assert editor.spec() == SMALL and editor.is_valid()

    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(dict(SMALL, layers=[{"type": "conv", "filters": 2}])))
    assert not editor.load_file(invalid)
    assert "kernel" in messages[1][1] and editor.spec() == SMALL


def test_save_error_is_reported(editor, tmp_path, messages):
    editor.set_spec(SMALL)
    assert not editor.save_file(tmp_path / "missing-folder" / "x.json")
    assert len(messages) == 1 and "cannot write" in messages[0][1]


def test_removing_every_layer_is_invalid_but_does_not_crash(editor):
    editor.set_spec(SMALL)
    for _ in range(5):
        editor.select_layer(0)
        editor.remove_layer()
    assert editor.spec()["layers"] == [] and not editor.is_valid()
    assert "non-empty" in editor.error()
    assert not editor.remove_button.isEnabled()
    editor.add_layer("dense")
    editor.form.field_widget("units").setValue(2)
    assert editor.spec()["layers"] == [{"type": "dense", "units": 2}] and editor.is_valid()


def test_columns_fit_a_narrow_dock(editor, qtbot):
    editor.set_spec(load_architecture("alexnet-mini"))
    editor.resize(360, 700)
    editor.show()
    qtbot.waitExposed(editor)
    header = editor.tree.header()
    used = sum(header.sectionSize(c) for c in range(editor.tree.columnCount()))
    assert used <= editor.tree.viewport().width()
    metrics = editor.tree.fontMetrics()
    for row in range(editor.tree.topLevelItemCount()):
        for column in range(editor.tree.columnCount()):
            text = editor.tree.topLevelItem(row).text(column)
            assert metrics.horizontalAdvance(text) <= header.sectionSize(column), (row, text)


# ---- receptive fields ------------------------------------------------------------------------

def rf_column(editor):
    return [row_texts(editor, i)[COL_RF] for i in range(editor.tree.topLevelItemCount())]


def expected_rf(spec):
    return ["whole" if f.whole else f"{f.size} / {f.jump}"
            for f in receptive_fields(validate(spec))]


@pytest.mark.parametrize("name", ["lenet5", "alexnet-mini"])
def test_the_rf_column_lists_each_layers_receptive_field(editor, name):
    spec = load_architecture(name)
    editor.set_spec(spec)
    fields = receptive_fields(validate(spec))
    assert rf_column(editor) == expected_rf(spec)
    assert editor.tree.headerItem().text(COL_RF) == "RF"
    assert "Receptive field" in editor.tree.headerItem().toolTip(COL_RF)
    for index, field in enumerate(fields):
        tip = editor.tree.topLevelItem(index).toolTip(COL_RF)
        if field.whole:
            assert "the whole image" in tip
        else:
            pixels = "pixel" if field.jump == 1 else "pixels"
            assert tip == (f"receptive field: each output value sees a {field.size}\u00d7"
                           f"{field.size} patch of the input; neighbouring values are "
                           f"{field.jump} input {pixels} apart")
        # the row's own tooltip (on the other columns) says it too
        assert "receptive field" in editor.tree.topLevelItem(index).toolTip(COL_OUTPUT)


def test_the_rf_column_by_hand_for_lenet5(editor):
    """The textbook numbers: conv 5x5 -> 5 / 1, pool 2 -> 6 / 2, conv 5x5 -> 6 + 4*2 = 14 / 2,
    pool 2 -> 16 / 4, then dense: the whole image."""
    editor.set_spec(load_architecture("lenet5"))
    assert rf_column(editor) == ["5 / 1", "5 / 1", "6 / 2", "14 / 2", "14 / 2", "16 / 4"] + \
        ["whole"] * 6
    assert editor.tree.topLevelItem(0).toolTip(COL_RF) == (
        "receptive field: each output value sees a 5\u00d75 patch of the input; neighbouring "
        "values are 1 input pixel apart")


def test_the_rf_column_follows_edits(editor, qtbot):
    editor.set_spec(load_architecture("lenet5"))
    editor.select_layer(0)
    with qtbot.waitSignal(editor.spec_changed):
        editor.form.field_widget("stride").setValue(2)  # 28 -> 14, every jump doubles
    assert editor.is_valid(), editor.error()
    assert rf_column(editor) == expected_rf(editor.spec())
    assert rf_column(editor)[:6] == ["5 / 2", "5 / 2", "7 / 4", "23 / 4", "23 / 4", "27 / 8"]
    editor.select_layer(2)
    editor.form.field_widget("stride").setValue(1)  # the pool no longer strides
    assert rf_column(editor) == expected_rf(editor.spec())
    assert rf_column(editor)[2:6] == ["7 / 2", "15 / 2", "15 / 2", "17 / 4"]
    editor.select_layer(3)
    editor.remove_layer()  # conv 5x5 gone: the pools follow each other
    assert rf_column(editor) == expected_rf(editor.spec())
    editor.select_layer(0)
    editor.add_layer("conv")  # conv 3x3 pad 1 after the first conv
    assert rf_column(editor) == expected_rf(editor.spec())
    assert rf_column(editor)[1] == "9 / 2"


def test_an_invalid_spec_keeps_the_rf_of_the_layers_before_the_error(editor):
    editor.set_spec(SMALL)
    editor.select_layer(0)
    editor.form.field_widget("kernel").setValue(11)  # cannot fit an 8x8 input
    assert not editor.is_valid()
    assert rf_column(editor) == [""] * 5
    editor.form.field_widget("kernel").setValue(3)
    editor.select_layer(2)
    editor.form.field_widget("size").setValue(9)  # the pool is now the bad layer
    assert not editor.is_valid() and editor.error_layer() == 2
    assert rf_column(editor) == ["3 / 1", "3 / 1", "", "", ""]


def test_undo_and_redo_take_edits_back_and_forth(editor, qtbot):
    original = load_architecture("lenet5")
    editor.set_spec(original)
    assert not editor.undo()  # nothing yet
    start = editor.spec()
    editor.select_layer(0)
    editor.add_layer("relu")
    added = editor.spec()
    editor.select_layer(0)
    for value in (1, 12):  # typing "12": two field edits, one undo step
        editor.form.field_widget("filters").setValue(value)
    assert editor.spec()["layers"][0]["filters"] == 12
    with qtbot.waitSignal(editor.spec_changed) as blocker:
        assert editor.undo()
    assert blocker.args[0] == added
    assert editor.undo() and editor.spec() == start
    assert not editor.undo()
    assert editor.redo() and editor.spec() == added
    assert editor.redo() and editor.spec()["layers"][0]["filters"] == 12
    assert not editor.redo()
    editor.undo()
    editor.select_layer(3)
    editor.remove_layer()  # a new edit: nothing left to redo
    assert not editor.redo()
    editor.set_spec(original)  # another architecture: its history starts empty
    assert not editor.undo()


def test_remove_block_takes_a_conv_its_activation_and_its_pool(editor):
    editor.set_spec(load_architecture("lenet5"))  # conv, relu, maxpool, conv, relu, maxpool, ...
    before = editor.spec()
    editor.select_layer(4)  # the relu of the second block
    assert editor.remove_block_action.isEnabled()
    editor.remove_block()
    after = editor.spec()
    assert after["layers"] == before["layers"][:3] + before["layers"][6:]
    assert editor.undo() and editor.spec() == before
    editor.select_layer(len(before["layers"]) - 1)  # the last dense layer: in no block
    assert not editor.remove_block_action.isEnabled()


def test_conv_block_bounds():
    from cnnviz.app.panes.edit_history import conv_block
    layers = [{"type": t} for t in ("conv", "relu", "batchnorm", "maxpool", "conv", "relu",
                                    "conv", "tanh", "avgpool", "flatten", "dense")]
    assert conv_block(layers, 0) == range(0, 4) and conv_block(layers, 3) == range(0, 4)
    assert conv_block(layers, 5) == range(4, 6)  # no pool: the block ends at the next conv
    assert conv_block(layers, 8) == range(6, 9)
    assert conv_block(layers, 9) is None and conv_block(layers, 10) is None
