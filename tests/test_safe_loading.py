"""Safe loading: weights and style packs only through checked safetensors; pickles and crafted files refused."""

import json
import os
import pickle
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from stylehead.errors import StyleheadError
from stylehead.hub import BUNDLED_WEIGHTS
from stylehead.safe_loading import load_component, load_tensors, read_header

REPO = Path(__file__).resolve().parents[1]


def craft(header: dict, data: bytes = b"", length: int | None = None) -> bytes:
    """A safetensors file written by hand: 8-byte header length, the JSON header, the data."""
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


class Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


X = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
CRAFTED = {  # file → the fragment of the one-sentence refusal
    "pickle": (None, "not a safetensors file"),
    "too-short": (b"\x01\x02", "too short"),
    "huge-length": (struct.pack("<Q", 1 << 62) + b"{}", "not a safetensors file"),
    "length-over-the-limit": (craft({"x": X}, bytes(9 << 20), length=9 << 20), "header claims"),
    "bad-json": (struct.pack("<Q", 5) + b"{nope" + bytes(8), "not a safetensors file"),
    "header-a-list": (craft([1, 2]), "not a table of tensors"),  # type: ignore[arg-type]
    "unknown-dtype": (craft({"x": {**X, "dtype": "OBJ"}}, bytes(8)), "no known dtype"),
    "negative-shape": (craft({"x": {**X, "shape": [-2]}}, bytes(8)), "no valid shape"),
    "offsets-past-the-end": (craft({"x": {**X, "data_offsets": [0, 4096]}}, bytes(8)), "fill its bytes"),
    "offsets-beyond-file": (craft({"x": {**X, "shape": [1024], "data_offsets": [0, 4096]}}, bytes(8)), "file's size"),
    "overlapping": (craft({"x": X, "y": X}, bytes(8)), "overlap"),
    "padded": (craft({"x": X}, bytes(16)), "file's size"),
    "metadata-not-strings": (craft({"__metadata__": {"a": 1}, "x": X}, bytes(8)), "metadata"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_headers_are_refused_before_any_data_is_read(case, tmp_path):
    data, fragment = CRAFTED[case]
    marker = tmp_path / "code-ran"
    path = tmp_path / "weights.safetensors"
    path.write_bytes(pickle.dumps(Payload(marker)) if data is None else data)
    with pytest.raises(StyleheadError, match=fragment) as caught:
        read_header(path, "stylehead weights")
    assert str(caught.value).startswith("weights.safetensors is not stylehead weights")
    assert not marker.exists()


def test_tensors_must_have_the_expected_names_shapes_and_dtypes(tmp_path):
    path = tmp_path / "t.safetensors"
    save_file({"audio": np.zeros(4, np.int16)}, str(path))
    tensors, _ = load_tensors(path, {"audio": (None, np.int16)}, "speech")
    assert tensors["audio"].shape == (4,)
    for expected, fragment in [({"audio": ((5,), np.int16)}, r"audio is int16\[4\], not int16\[5\]"),
                               ({"audio": (None, np.float32)}, "audio is int16"),
                               ({"audio": (None, np.int16), "rate": ((1,), np.int32)}, "rate is missing"),
                               ({}, "unexpected tensor 'audio'")]:  # fmt: skip
        with pytest.raises(StyleheadError, match=fragment):
            load_tensors(path, expected, "speech")


@pytest.fixture
def weights(tmp_path) -> Path:
    """A copy of the bundled weights to tamper with."""
    return Path(shutil.copytree(BUNDLED_WEIGHTS, tmp_path / "weights"))


def _tamper(folder: Path, change) -> None:
    from safetensors.numpy import load_file

    tensors = load_file(str(folder / "model.safetensors"))
    change(tensors)
    save_file(tensors, str(folder / "model.safetensors"))


def _first_float(tensors: dict) -> str:
    return next(k for k, v in sorted(tensors.items()) if v.dtype == np.float32 and v.ndim == 2)


TAMPERING = {
    "wrong-shape": (lambda t: t.update({(k := _first_float(t)): t[k][:-1]}), "size mismatch|is float32"),
    "wrong-dtype": (lambda t: t.update({(k := _first_float(t)): t[k].astype(np.float64)}), r"is float64\["),
    "extra-tensor": (lambda t: t.update({"backdoor.weight": np.zeros(3, np.float32)}), "backdoor"),
    "missing-tensor": (lambda t: t.pop(_first_float(t)), "Missing|is missing"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_model_weights_must_be_exactly_the_models_state_dict(case, weights):
    from stylehead.motion.head_pose_model import HeadPoseModel

    change, fragment = TAMPERING[case]
    folder = weights / "head_pose_model"
    _tamper(folder, change)
    with pytest.raises(StyleheadError, match=fragment) as caught:
        load_component(HeadPoseModel, folder)
    assert "\n" not in str(caught.value)


def test_a_pickle_or_a_broken_config_in_a_weights_folder_is_refused_by_the_cli(weights, tmp_path, capsys):
    from stylehead.cli import main

    marker = tmp_path / "code-ran"
    (weights / "head_pose_model" / "model.safetensors").write_bytes(pickle.dumps(Payload(marker)))
    assert main(["motion", "--audio", str(REPO / "examples" / "speech.wav"), "-o", str(tmp_path / "m.npz"),
                 "--weights", str(weights)]) == 2  # fmt: skip
    assert "model.safetensors is not weights of a HeadPoseModel" in capsys.readouterr().err
    assert not marker.exists()
    shutil.copy(BUNDLED_WEIGHTS / "head_pose_model" / "model.safetensors", weights / "head_pose_model")
    (weights / "mouth_eye_generator" / "config.json").write_text("{not json")
    assert main(["motion", "--audio", str(REPO / "examples" / "speech.wav"), "-o", str(tmp_path / "m.npz"),
                 "--weights", str(weights)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("error: mouth_eye_generator does not hold weights of a MouthEyeGenerator") and "\n" not in (
        err.strip()
    )


def test_the_bundled_weights_and_presets_pass_the_checks():
    from stylehead.style.models import StyleModels
    from stylehead.style.pack import StylePack

    models = StyleModels.from_pretrained()
    assert models.style_network is not None and models.driving_speech is not None and models.rest_estimate is not None
    assert all(StylePack.load(path).name for path in models.presets.glob("*.safetensors"))


UNSAFE = re.compile(r"torch\.load\(|\bimport pickle\b|pickle\.load|allow_pickle\s*=\s*True|trust_remote_code"
                    r"|(?<![.\w])eval\(|(?<![.\w])exec\(|_load_as_pickle|weights_only\s*=\s*False"
                    r"|\bdill\b|joblib\.load")  # fmt: skip


def test_no_code_path_can_unpickle_or_run_remote_code():
    """Scan the package and the app: no loader that can execute code from a file."""
    sources = [*sorted((REPO / "stylehead").rglob("*.py")), REPO / "app.py"]
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for path in sources for number, line in enumerate(path.read_text().splitlines(), 1)
             if UNSAFE.search(line)]  # fmt: skip
    assert not found, "\n".join(found)
    # A hub-mixin model is only loaded by safe_loading.load_component (checked header and tensors); the
    # mixin's own from_pretrained falls back to pickles for Hub ids
    direct = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
              for path in sources for number, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"\b(?!AudioToMotion\b|StyleHeadPipeline\b|StyleModels\b|RestEstimate\b|LoudnessBaseline\b)"
                           r"[A-Z]\w*\.from_pretrained\(", line)
              and path.name != "safe_loading.py"]  # fmt: skip
    assert not direct, "\n".join(direct)
    assert os.path.exists(REPO / "stylehead" / "safe_loading.py")


def test_a_config_asking_for_huge_layers_is_refused_before_the_model_is_built(tmp_path):
    """A hostile config.json (8 levels of 4096 channels: 27 GB) beside small weights costs nothing."""
    import json
    import resource

    from stylehead.render.generator import GeneratorConfig, StyleAwareGenerator

    StyleAwareGenerator(GeneratorConfig(channels=(8, 8, 8), resolution=64)).save_pretrained(tmp_path / "g")
    config = json.loads((tmp_path / "g" / "config.json").read_text())
    (tmp_path / "g" / "config.json").write_text(json.dumps({**config, "channels": [4096] * 8}))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(StyleheadError, match=r"asks for 27\d\d\d\.\d MB .* holds 0\.0 MB; they do not belong together"):
        load_component(StyleAwareGenerator, tmp_path / "g")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # kB: nothing was allocated
