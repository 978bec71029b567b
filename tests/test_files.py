"""cnnviz/files.py, the one way cnnviz writes a file: whole or not at all; a new file with the
user's usual permissions (the umask), never the private 0600 of a temporary file, and a file
written over with the permissions it had; and the writers that use it (an architecture saved
from the editor, a model file, an export) come out the same way."""
import os
import stat

import pytest

from cnnviz.files import atomic_write


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_written_file_is_whole_and_has_the_umasks_permissions(tmp_path, umask_022):
    target = tmp_path / "weights.bin"
    with atomic_write(target) as out:
        out.write(b"abc")
    assert target.read_bytes() == b"abc" and mode(target) == 0o644
    with atomic_write(target, text=True) as out:
        out.write("déjà")
    assert target.read_text(encoding="utf-8") == "déjà"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_a_failure_half_way_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "model.cnnviz"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as out:
            out.write(b"new, half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["model.cnnviz"]


def test_a_file_written_over_keeps_its_permissions(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("{}")
    os.chmod(target, 0o600)
    with atomic_write(target, text=True) as out:
        out.write("[]")
    assert mode(target) == 0o600 and target.read_text() == "[]"


def test_an_architecture_saved_from_the_editor_is_a_normal_file(qtbot, tmp_path, umask_022):
    from cnnviz.app.panes.arch_editor import ArchitectureEditor
    from cnnviz.architectures import load_architecture

    editor = ArchitectureEditor(message=lambda title, text: pytest.fail(f"{title}: {text}"))
    qtbot.addWidget(editor)
    editor.set_spec(load_architecture("shapes-small"))
    path = tmp_path / "net.json"
    assert editor.save_file(path)
    assert mode(path) == 0o644  # the mkstemp it used before made it 0600
    assert os.listdir(tmp_path) == ["net.json"]


def test_a_model_file_and_an_export_are_normal_files(tmp_path, umask_022):
    from cnnviz.architectures import load_architecture
    from cnnviz.data.catalog import preprocessing_of
    from cnnviz.data.shapes import make_shapes
    from cnnviz.engine.network import Network
    from cnnviz.training.export import export_npz
    from cnnviz.training.modelfile import save_model

    network = Network(load_architecture("shapes-small"))
    dataset = {"name": "shapes",
               "preprocessing": preprocessing_of("shapes", make_shapes(train_size=8, test_size=8))}
    save_model(tmp_path / "m.cnnviz", network, dataset, {})
    export_npz(network, tmp_path / "w.npz")
    assert mode(tmp_path / "m.cnnviz") == mode(tmp_path / "w.npz") == 0o644
    assert sorted(os.listdir(tmp_path)) == ["m.cnnviz", "w.npz"]
