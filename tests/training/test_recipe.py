"""Training recipes (training/recipe.py): the built-in architectures' own, the checks on a user's,
and their wording."""
import json

import pytest

from cnnviz.architectures import builtin_names, load_architecture, recipe_of
from cnnviz.engine.spec import SpecError
from cnnviz.training import recipe as recipes
from cnnviz.training.recipe import DEFAULT, Recipe
from cnnviz.training.schedule import Constant, OneCycle, StepDecay


def test_every_built_in_architecture_has_a_recipe():
    for name in builtin_names():
        spec = load_architecture(name)
        assert "recipe" in spec, name
        recipe = recipe_of(spec)
        assert recipe == recipes.parse(recipe.as_json())  # the JSON form reads back the same


def test_the_fashion_recipes_are_those_the_accuracy_benchmark_measured():
    assert recipe_of(load_architecture("fashion-2conv")) == Recipe(
        "adam", 0.001, schedule=StepDecay((0.6667,), 0.1), batch_size=64, epochs=3)
    assert recipe_of(load_architecture("fashion-2conv-bn")) == Recipe(
        "adam", 0.005, schedule=OneCycle(), batch_size=64, epochs=3)


def test_fashion_2conv_bn_is_fashion_2conv_with_a_batch_norm_after_each_conv_block():
    plain = [layer["type"] for layer in load_architecture("fashion-2conv")["layers"]]
    with_bn = [layer["type"] for layer in load_architecture("fashion-2conv-bn")["layers"]]
    assert plain[:3] == ["conv", "relu", "maxpool"]
    assert with_bn == ["conv", "relu", "batchnorm", "maxpool", "conv", "relu", "batchnorm",
                       *plain[5:]]


def test_an_architecture_without_a_recipe_trains_with_the_defaults():
    spec = dict(load_architecture("lenet5"))
    del spec["recipe"]
    assert recipes.of_spec(spec) is None and recipe_of(spec) is DEFAULT
    assert DEFAULT == Recipe("sgd", 0.02, 0.9, Constant(), 64, 6, False)


def test_fields_left_out_take_their_defaults():
    assert recipes.parse({}) == DEFAULT
    assert recipes.parse({"optimizer": "adam"}) == Recipe("adam", 0.001)  # Adam's usual rate
    assert recipes.parse({"schedule": "one-cycle", "epochs": 2}).schedule == OneCycle()


@pytest.mark.parametrize("raw, field, words", [
    ([], "recipe", "recipe must be an object"),
    ({"lr": 0.1, "rate": 2}, "recipe.rate", "recipe: unknown field 'rate' (a recipe has: "),
    ({"optimizer": "rmsprop"}, "recipe.optimizer", "recipe.optimizer must be one of sgd, adam"),
    ({"lr": -1}, "recipe.lr", "recipe.lr must be from 0 to 10, got -1"),
    ({"lr": "fast"}, "recipe.lr", "recipe.lr must be a number, got 'fast'"),
    ({"momentum": 1.0}, "recipe.momentum", "recipe.momentum must be from 0 to 1 (less than it)"),
    ({"optimizer": "adam", "momentum": 0.9}, "recipe.momentum", "recipe.momentum is SGD's"),
    ({"batch_size": 32.5}, "recipe.batch_size", "recipe.batch_size must be a whole number"),
    ({"batch_size": 0}, "recipe.batch_size", "recipe.batch_size must be from 1 to 4096"),
    ({"epochs": 0}, "recipe.epochs", "recipe.epochs must be from 1 to 1000"),
    ({"epochs": True}, "recipe.epochs", "recipe.epochs must be a whole number"),
    ({"augment": "yes"}, "recipe.augment", "recipe.augment must be true or false"),
    ({"schedule": "cosine"}, "recipe.schedule", "recipe.schedule.type must be one of"),
    ({"schedule": {"type": "step", "factor": 0}}, "recipe.schedule",
     "recipe.schedule.factor must be a number between 0 and 1"),
])
def test_a_bad_field_is_refused_by_name(raw, field, words):
    with pytest.raises(SpecError) as error:
        recipes.parse(raw)
    assert str(error.value).startswith(words)
    assert error.value.field == field


def test_a_file_with_a_bad_recipe_is_refused_naming_the_file_and_the_field(tmp_path):
    spec = load_architecture("lenet5")
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(dict(spec, recipe={"optimizer": "adam", "lr": 20})))
    with pytest.raises(SpecError) as error:
        load_architecture(str(path))
    assert str(error.value) == f"{path}: recipe.lr must be from 0 to 10, got 20"
    assert error.value.field == "recipe.lr"


def test_the_description_says_every_part():
    assert recipe_of(load_architecture("fashion-2conv")).describe() == (
        "Adam, lr 0.001, step decay x0.1 at epoch 3, batch 64, 3 epochs")
    assert DEFAULT.describe() == "SGD, lr 0.02, momentum 0.9, constant rate, batch 64, 6 epochs"
    assert Recipe(epochs=1, augment=True).describe().endswith("1 epoch, augmented")


def test_the_schedule_spans_the_recipes_epochs():
    recipe = Recipe("adam", 0.001, schedule=StepDecay((0.5,), 0.1), batch_size=10, epochs=4)
    # 95 images: 10 batches an epoch, 40 steps in all, the drop at step 20
    assert [recipe.rate(step, 95) for step in (0, 19, 20, 39, 60)] == pytest.approx(
        [0.001, 0.001, 0.0001, 0.0001, 0.0001])


def test_another_optimizer_brings_its_usual_rate():
    adam = recipes.with_optimizer(DEFAULT, "adam")
    assert (adam.optimizer, adam.lr) == ("adam", 0.001)
    assert recipes.with_optimizer(adam, "adam") is adam
