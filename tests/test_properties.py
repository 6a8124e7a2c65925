"""Property-based tests (hypothesis) for the metrics and the media readers."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from stylehead.errors import StyleheadError
from stylehead.evaluation.metrics import style_metrics, talking_head_metrics

# Random bytes, some behind the first bytes of a real format, so that parsers get past their first check.
MAGIC = st.sampled_from([b"", b"RIFF\x24\x08\x00\x00WAVEfmt ", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"ID3\x03",
                         b"OggS\x00\x02", b"fLaC", b"BM", b"RIFF\x00\x01\x00\x00WEBPVP8 "])  # fmt: skip
UPLOADS = st.tuples(MAGIC, st.binary(min_size=0, max_size=4096)).map(lambda parts: parts[0] + parts[1])
GRID = {"windows": (1, 3, 7), "strides": (1, 2)}
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def faces(frames: int):
    """Landmark sequences: a template-sized face plus bounded per-frame jitter, in pixels."""
    from stylehead.face.pose import load_template

    base = load_template().points[:, :2] * 3 + 250
    jitter = arrays(np.float64, (frames, 68, 2), elements=st.floats(-4, 4, allow_nan=False))
    return jitter.map(lambda j: base[None] + j)


@FAST
@given(faces(12), faces(9))
def test_style_metrics_are_zero_on_themselves_and_never_negative(reference, generated):
    assert style_metrics(reference, reference, **GRID) == {"sld": 0.0, "slv": 0.0, "smd": 0.0}
    values = style_metrics(reference, generated, **GRID)
    assert all(np.isfinite(v) and v >= 0 for v in values.values())


@FAST
@given(faces(10), faces(10), st.floats(0.3, 3.0), st.floats(-200, 200), st.floats(-200, 200))
def test_style_metrics_ignore_where_and_how_big_the_generated_face_is(reference, generated, scale, dx, dy):
    moved = generated * scale + np.array([dx, dy])
    assert style_metrics(reference, moved, **GRID) == pytest.approx(style_metrics(reference, generated, **GRID),
                                                                    rel=1e-6, abs=1e-9)  # fmt: skip


@FAST
@given(faces(8), faces(8))
def test_talking_head_metrics_are_zero_on_themselves_and_finite(reference, generated):
    same = talking_head_metrics(reference, reference)
    assert same["lmd"] == pytest.approx(0.0, abs=1e-9) and same["dl"] == pytest.approx(0.0, abs=1e-9)
    assert all(np.isfinite(v) for v in talking_head_metrics(generated, reference).values())


def _audio_ok(audio) -> bool:
    return audio.dtype == np.float32 and np.isfinite(audio).all()


def _image_ok(image) -> bool:
    return image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


READERS = {  # reader name → (suffixes an upload may have, what a successful read must give)
    "read_audio": ((".wav", ".mp3", ".flac", ".ogg", ".m4a"), _audio_ok),
    "read_image": ((".png", ".jpg", ".webp", ".bmp"), _image_ok),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@FAST
@given(data=UPLOADS, pick=st.integers(0, 4))
def test_the_media_readers_either_read_or_explain(tmp_path, reader, data, pick):
    import stylehead.media

    suffixes, valid = READERS[reader]
    path = tmp_path / f"upload{suffixes[pick % len(suffixes)]}"
    path.write_bytes(data)
    try:
        result = getattr(stylehead.media, reader)(path)
    except StyleheadError as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert valid(result)


def _crafted_safetensors(entries, data_length, claimed_extra):
    """A safetensors file from a hypothesis-drawn header: tensors with arbitrary dtypes, shapes and offsets."""
    import json
    import struct

    header = json.dumps({name: {"dtype": dtype, "shape": shape, "data_offsets": offsets}
                         for name, dtype, shape, offsets in entries}).encode()  # fmt: skip
    return struct.pack("<Q", len(header) + claimed_extra) + header + bytes(data_length)


HEADERS = st.builds(
    _crafted_safetensors,
    st.lists(st.tuples(st.sampled_from(["references.landmarks", "pose.std", "pose.mean", "delta.x", "w"]),
                       st.sampled_from(["F32", "F16", "I64", "F64", "OBJ", "U8"]),
                       st.lists(st.integers(-2, 70), max_size=3), st.lists(st.integers(-8, 4096), max_size=3)),
             max_size=4),
    st.integers(0, 4096), st.sampled_from([0, 0, 0, 1, -1, 1 << 40]),
)  # fmt: skip


@FAST
@given(data=st.one_of(HEADERS, UPLOADS))
def test_the_safetensors_loaders_either_load_or_explain(tmp_path, data):
    from stylehead.safe_loading import read_header
    from stylehead.style.pack import StylePack

    path = tmp_path / "upload.safetensors"
    path.write_bytes(data)
    for load in (lambda: read_header(path, "weights"), lambda: StylePack.load(path)):
        try:
            load()
        except StyleheadError as err:
            assert str(err) and "\n" not in str(err)
