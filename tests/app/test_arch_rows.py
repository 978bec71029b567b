"""What the architecture editor's list says, without Qt: compact counts, receptive fields, each
row's texts and tooltips in its three states, the header and the totals. The expected strings
are written out in full (a pool multiplies nothing: 0 MACs)."""
import json

import pytest

from cnnviz.app.panes.arch_model import ArchitectureModel
from cnnviz.app.panes.arch_rows import (
    COL_RF,
    COLUMNS,
    HEADER_TIPS,
    PENDING_TIP,
    RowState,
    compact,
    header_text,
    layer_row,
    layer_rows,
    rf_text,
    rf_tip,
    totals_text,
    warning,
)
from cnnviz.engine.receptive import Field
from cnnviz.engine.spec import LayerInfo, validate
from tests.app.arch_specs import SMALL

CONV = LayerInfo(0, {"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": 0,
                     "init": "he"}, (1, 8, 8), (4, 6, 6), 40, 1296)


@pytest.mark.parametrize("number, text", [
    (0, "0"), (999, "999"), (1000, "1.0k"), (1234, "1.2k"), (2_460, "2.5k"), (99_900, "99.9k"),
    (100_000, "100k"), (416_520, "417k"), (2_500_000, "2.5M"), (61_706_000, "61.7M"),
    (3_000_000_000, "3.0G"),
])
def test_compact_counts_fit_a_narrow_column(number, text):
    assert compact(number) == text


def test_receptive_field_texts():
    assert rf_text(Field(5, 1, 2.0)) == "5 / 1"
    assert rf_text(Field(28, 0, 13.5, whole=True)) == "whole"
    assert rf_tip(Field(5, 1, 2.0)) == ("receptive field: each output value sees a 5\u00d75 patch "
                                        "of the input; neighbouring values are 1 input pixel apart")
    assert rf_tip(Field(16, 4, 7.5)).endswith("a 16\u00d716 patch of the input; neighbouring "
                                              "values are 4 input pixels apart")
    assert rf_tip(Field(28, 0, 13.5, whole=True)) == (
        "receptive field: the whole image; each output value depends on every input pixel")


def test_every_column_has_a_header_tip():
    assert len(HEADER_TIPS) == len(COLUMNS) == 6 and all(HEADER_TIPS)


def test_a_row_worked_out_gives_shapes_counts_and_its_field():
    field = Field(3, 1, 1.0)
    row = layer_row(0, SMALL["layers"][0], CONV, field)
    assert row.state is RowState.OK
    assert row.texts == ("0", "conv 3x3", "4\u00d76\u00d76", "3 / 1", "40", "1.3k")
    tip = ("conv 3x3: 1\u00d78\u00d78 in, 4\u00d76\u00d76 out\n"
           "40 parameters, 1,296 multiply-adds per image\n" + rf_tip(field))
    assert row.tips == (tip, tip, tip, rf_tip(field), tip, tip)


def test_a_row_without_a_receptive_field_leaves_its_column_empty():
    row = layer_row(0, SMALL["layers"][0], CONV, None)
    tip = "conv 3x3: 1\u00d78\u00d78 in, 4\u00d76\u00d76 out\n40 parameters, 1,296 multiply-adds per image"
    assert row.texts[COL_RF] == "" and row.tips == (tip,) * 6


def test_a_row_after_the_error_is_pending():
    row = layer_row(3, {"type": "flatten"}, None, None)
    assert row.state is RowState.PENDING
    assert row.texts == ("3", "flatten", "?", "", "", "") and row.tips == (PENDING_TIP,) * 6
    assert layer_row(1, 42, None, None).texts[1] == "?"  # not a layer dict at all


def test_the_row_the_error_is_about_is_marked_and_tells_the_error():
    error = "layer 0 (conv 3x3): something is wrong"
    row = layer_row(0, SMALL["layers"][0], CONV, Field(3, 1, 1.0), error)
    assert row.state is RowState.ERROR
    assert row.texts == ("0", "\u26a0 conv 3x3", "4\u00d76\u00d76", "3 / 1", "40", "1.3k")
    assert row.tips == (error,) * 6
    pending = layer_row(2, {"type": "maxpool", "size": 9}, None, None, error)
    assert pending.state is RowState.ERROR and pending.texts[1:3] == ("\u26a0 maxpool 9x9", "?")
    assert warning("bad") == "\u26a0 bad"


def test_layer_rows_follow_the_model():
    spec = json.loads(json.dumps(SMALL))
    spec["layers"][2]["size"] = 9
    model = ArchitectureModel()
    model.set_spec(spec)
    rows = layer_rows(model)
    assert [row.state for row in rows] == [RowState.OK, RowState.OK, RowState.ERROR,
                                           RowState.PENDING, RowState.PENDING]
    assert [row.texts[2] for row in rows] == ["4\u00d76\u00d76", "4\u00d76\u00d76", "?", "?", "?"]
    assert rows[2].tips[0] == model.error_message()
    model.set_field(2, "size", 2)
    assert [row.texts[2:] for row in layer_rows(model)] == [
        ("4\u00d76\u00d76", "3 / 1", "40", "1.3k"), ("4\u00d76\u00d76", "3 / 1", "0", "0"),
        ("4\u00d73\u00d73", "4 / 2", "0", "0"), ("36", "whole", "0", "0"),
        ("2", "whole", "74", "72")]


def test_header_names_the_network_its_input_and_classes():
    assert header_text(None) == "No architecture loaded."
    assert header_text(SMALL) == "<b>small</b> \u00b7 input 1\u00d78\u00d78 \u00b7 2 classes"
    assert header_text({"name": 3, "input": "big"}) == "<b>architecture</b>"


def test_totals_once_the_network_is_valid():
    assert totals_text(None) == "Total: shown once the architecture is valid."
    assert totals_text(validate(SMALL)) == ("Total: <b>114</b> params, <b>1,368</b> mult-adds "
                                            "per image")
