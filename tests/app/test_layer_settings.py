"""What the layer form says of each layer type and field, without Qt: the value a field shows
when the layer does not set it, the help texts and the form's title."""
from cnnviz.app.panes.layer_settings import FIELD_HELP, LAYER_HELP, effective_value, layer_title
from cnnviz.engine.spec import FIELDS


def test_a_field_the_layer_sets_shows_its_own_value():
    assert effective_value({"type": "conv", "padding": "same"}, "padding", FIELDS["conv"]) == "same"
    assert effective_value({"type": "maxpool", "size": 3, "stride": 1}, "stride", FIELDS["maxpool"]) == 1


def test_an_unset_field_shows_its_default():
    assert effective_value({"type": "conv"}, "stride", FIELDS["conv"]) == 1
    assert effective_value({"type": "conv"}, "init", FIELDS["conv"]) == "he"  # a text, not a field
    assert effective_value({"type": "dropout"}, "rate", FIELDS["dropout"]) == 0.5


def test_a_pool_stride_follows_its_size_until_it_is_set():
    assert effective_value({"type": "avgpool", "size": 3}, "stride", FIELDS["avgpool"]) == 3
    assert effective_value({"type": "avgpool"}, "stride", FIELDS["avgpool"]) == 2  # size's default


def test_every_layer_type_and_field_has_help():
    assert set(LAYER_HELP) == set(FIELDS)
    assert set(FIELD_HELP) == {(kind, name) for kind, fields in FIELDS.items() for name in fields}


def test_the_form_title_names_the_layer():
    assert layer_title(3, {"type": "conv", "kernel": 5}) == "Layer 3: conv 5x5"
    assert layer_title(0, {"type": "dense", "units": 120}) == "Layer 0: dense 120"
    assert layer_title(2, "junk") == "Layer 2: ?"
