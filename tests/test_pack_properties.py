"""Property tests (hypothesis): a real style pack with its header or one of its tensors mutated is either refused in
one sentence or animates a face that stays a face (no fold in the mesh, no pixel from outside the picture)."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stylehead.errors import StyleheadError
from tests.bad_inputs import preset_parts, write_pack

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
TENSORS, METADATA = preset_parts()
HEADER = json.loads(METADATA["header"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
numbers = st.floats(allow_nan=True, allow_infinity=True, width=32)


@pytest.fixture(scope="module")
def scene(portrait):
    """The example portrait's face (256 pixels), the motion weights and one second of speech."""
    from stylehead.media import read_audio
    from stylehead.render.warp_renderer import Portrait
    from stylehead.style.models import StyleModels
    from tests.conftest import EXAMPLES

    return (Portrait.from_image(np.ascontiguousarray(portrait[::2, ::2])), StyleModels.from_pretrained().motion,
            read_audio(EXAMPLES / "speech.wav")[:16_000])  # fmt: skip


def refused_or_a_face(path, scene) -> str:
    """"refused" (one sentence) or "animated" (and then no fold, no outside sample); fails otherwise."""
    from benchmarks.render_integrity import check
    from stylehead.motion.data import MotionControls, resample_motion
    from stylehead.render.warp_renderer import RenderConfig, WarpRenderer
    from stylehead.style.library import styled, styled_portrait
    from stylehead.style.pack import StylePack

    portrait, model, audio = scene
    try:
        pack = StylePack.load(path)
        styled_model, controls = styled(model, pack, MotionControls(seed=0))
    except StyleheadError as err:
        message = str(err)
        assert "\n" not in message and message.endswith(".") and len(message) < 300, message
        return "refused"
    motion = resample_motion(styled_model(audio, controls), 25)
    assert np.isfinite(motion.displacement).all() and np.isfinite(motion.pose).all()
    result = check(WarpRenderer(styled_portrait(portrait, pack), RenderConfig(size=256)), motion)
    assert result["folded"] == 0 and result["outside"] == 0, result
    return "animated"


@SETTINGS
@given(key=st.sampled_from([*HEADER, "extra"]), value=json_values)
def test_a_pack_with_any_header_field_changed_is_refused_or_animates_a_face(key, value, scene, tmp_path_factory):
    metadata = {**METADATA, "header": json.dumps({**HEADER, key: value})}
    path = write_pack(tmp_path_factory.mktemp("pack") / "header.safetensors", TENSORS, metadata)
    refused_or_a_face(path, scene)


@SETTINGS
@example(key="pose.speed", operation="zero", amount=0.0, index=0)  # a still head: once a division by zero
@given(key=st.sampled_from(sorted(TENSORS)), operation=st.sampled_from(["scale", "shift", "one", "zero"]),
       amount=numbers, index=st.integers(0, 10**9))  # fmt: skip
def test_a_pack_with_any_tensor_changed_is_refused_or_animates_a_face(key, operation, amount, index, scene,
                                                                      tmp_path_factory):  # fmt: skip
    tensor = TENSORS[key].astype(np.float64)
    with np.errstate(all="ignore"):
        if operation == "scale":
            tensor = tensor * amount
        elif operation == "shift":
            tensor = tensor + amount
        elif operation == "one":
            tensor.reshape(-1)[index % tensor.size] = amount
        else:
            tensor = np.zeros_like(tensor)
        changed = {**TENSORS, key: tensor.astype(TENSORS[key].dtype)}
    path = write_pack(tmp_path_factory.mktemp("pack") / "tensor.safetensors", changed, METADATA)
    refused_or_a_face(path, scene)


def test_the_unchanged_pack_animates_and_an_absurd_one_is_refused(scene, tmp_path):
    """Both outcomes occur: the properties above are not passing by refusing everything (or nothing)."""
    assert refused_or_a_face(write_pack(tmp_path / "same.safetensors", TENSORS, METADATA), scene) == "animated"
    absurd = {**TENSORS, "pose.track": TENSORS["pose.track"] * 100}
    assert refused_or_a_face(write_pack(tmp_path / "absurd.safetensors", absurd, METADATA), scene) == "refused"
