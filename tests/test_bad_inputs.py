"""Every file of the hostile-input corpus (tests/bad_inputs.py) through the CLI and the app's handlers.

A refused input ends in exactly one line, ``error: <one sentence>``, exit code 2 and no traceback
(in the app: a ``gr.Error`` with the same sentence); an accepted one gives a correct video. Run with
``-s`` to print the message each input produced (the table in the issue's closing note).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stylehead.cli import main
from stylehead.media import probe, read_audio
from tests.bad_inputs import CALLS, CORPUS, BadInput, good_audio, good_image

CASES = {case.name: case for case in CORPUS}
CALL_CASES = {call.name: call for call in CALLS}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, portrait):
    """The good image and audio every case is paired with, and a maker of the case's own file."""
    root = tmp_path_factory.mktemp("corpus")
    portrait = portrait[::2, ::2].copy()  # 256 pixels: face detection in a quarter of the time
    made: dict[str, Path] = {}

    def make(case: BadInput) -> Path:
        if case.name not in made:
            folder = root / case.name
            folder.mkdir()
            made[case.name] = case.make(folder, portrait)
        return made[case.name]

    return good_image(root, portrait), good_audio(root), make


def assert_one_sentence(message: str, expect: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message
    assert message.endswith(".") and len(message) < 300, message
    assert "Errno" not in message and "<" not in message, message  # no exception repr leaking through
    assert expect in message, message


def cli_arguments(case: BadInput, path: Path, image: Path, audio: Path, output_folder: Path) -> list[str]:
    animate = ["--size", "256", "--fps", "25", "--no-contact-sheet", "-o", str(output_folder / "out.mp4")]
    if case.role == "image":
        return ["animate", "--image", str(path), "--audio", str(audio), *animate]
    if case.role == "audio":
        return ["animate", "--image", str(image), "--audio", str(path), *animate]
    if path.suffix == ".safetensors":
        return ["animate", "--image", str(image), "--audio", str(audio), "--style", str(path), *animate]
    return ["learn-style", str(path), "--steps", "2", "-o", str(output_folder / "out.safetensors")]


def _params(names):
    return [pytest.param(name, marks=pytest.mark.slow) if CASES[name].slow else name for name in sorted(names)]


@pytest.mark.parametrize("name", _params(CASES))
def test_cli_refuses_in_one_sentence_or_reads_correctly(name, inputs, tmp_path, capsys):
    case = CASES[name]
    image, audio, make = inputs
    path = make(case)
    code = main(cli_arguments(case, path, image, audio, tmp_path))
    out, err = capsys.readouterr()
    lines = [line for line in err.strip().splitlines() if not line.startswith("note: ")]
    print(f"\n[cli] {name}: exit {code}: {err.strip()}")
    if case.outcome == "refused":
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
        assert_one_sentence(lines[0].removeprefix("error: "), case.expect)
        assert not list(tmp_path.iterdir())  # nothing at or beside the output, not even a hidden partial file
        return
    assert code == 0 and not lines, err
    if case.role == "style":
        assert (tmp_path / "out.safetensors").stat().st_size > 0
        assert name != "style-two-faces" or "from the largest of the 2 faces in view" in out, out
        return
    info = probe(tmp_path / "out.mp4")
    assert info.has_video and info.has_audio and info.size == (256, 256)
    seconds = len(read_audio(audio if case.role == "image" else path)) / 16_000
    assert abs(info.duration - seconds) < 0.1  # as long as its audio


def snapshot(folder: Path) -> dict[str, object]:
    """Every name in ``folder`` with what it is: a link's target, a pipe, or a file's bytes."""
    state = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            state[path.name] = ("link", os.readlink(path))
        elif path.is_fifo():
            state[path.name] = "pipe"
        else:
            state[path.name] = path.read_bytes()
    return state


@pytest.mark.parametrize("name", sorted(name for name, call in CALL_CASES.items() if call.arguments is not None))
def test_cli_refuses_each_hostile_call_in_one_sentence_and_leaves_the_folder_as_it_was(name, inputs, tmp_path,
                                                                                       capsys):  # fmt: skip
    call = CALL_CASES[name]
    image, audio, _ = inputs
    folder = tmp_path / "out"
    folder.mkdir()
    if call.prepare is not None:
        call.prepare(folder)
    before = snapshot(folder)
    code = main(call.arguments(folder, image, audio))
    _, err = capsys.readouterr()
    print(f"\n[cli] {name}: exit {code}: {err.strip()}")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert_one_sentence(lines[0].removeprefix("error: "), call.expect)
    assert snapshot(folder) == before


@pytest.mark.parametrize("name", ["audio-name-not-utf8", "image-truncated-png"])
def test_cli_in_a_real_process_with_a_strict_utf8_terminal(name, inputs, tmp_path):
    """File names that are not UTF-8 print escaped on a terminal that refuses them (no UnicodeEncodeError)."""
    case = CASES[name]
    image, audio, make = inputs
    path = make(case)
    target = Path(os.fsdecode(bytes(tmp_path) + b"/sortie \xe9"))
    target.mkdir()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    result = subprocess.run([sys.executable, "-m", "stylehead", *cli_arguments(case, path, image, audio, target)],
                            capture_output=True, env=env, timeout=300)  # fmt: skip
    stderr = result.stderr.decode("utf-8")
    assert "Traceback" not in stderr, stderr
    assert result.returncode == (2 if case.outcome == "refused" else 0), stderr
    if case.outcome == "accepted":
        assert b"out.mp4" in result.stdout and probe(target / "out.mp4").has_video


# --- the same files through the app's handlers ---------------------------------------------------

gr = pytest.importorskip("gradio")
# The accepted files go the same way as through the CLI; the app must word every refusal as well.
APP_CASES = [name for name, case in CASES.items()
             if case.outcome == "refused" and not name.endswith("safetensors") and not name.startswith("pack-")]


def no_progress(*args, **kwargs):
    return None


@pytest.mark.parametrize("name", sorted(APP_CASES))
def test_app_handlers_explain_each_refusal(name, inputs, monkeypatch, tmp_path):
    import app
    from tests.test_app import animate_args

    monkeypatch.setattr(app, "OUTPUT_ROOT", tmp_path / "outputs")
    case = CASES[name]
    image, audio, make = inputs
    path = make(case)
    if case.role == "style":
        call = lambda: app.learn_style(str(path), "x", {}, progress=no_progress)  # noqa: E731
    else:
        args = animate_args(path if case.role == "image" else image, path if case.role == "audio" else audio)
        call = lambda: app.animate(**args, progress=no_progress)  # noqa: E731
    with pytest.raises(gr.Error) as caught:
        call()
    print(f"\n[app] {name}: {caught.value.message}")
    assert_one_sentence(str(caught.value.message), case.expect)


def test_a_video_with_two_faces_is_tracked_on_the_largest_and_says_so(inputs):
    from stylehead.face.tracking import track_video

    *_, make = inputs
    track = track_video(make(CASES["style-two-faces"]))
    assert track.faces == 2 and track.valid.all()


@pytest.mark.parametrize("name", sorted(name for name, call in CALL_CASES.items() if call.app is not None))
def test_app_refuses_each_hostile_control_in_one_sentence_before_any_work(name, inputs, monkeypatch, tmp_path):
    import app
    from tests.test_app import animate_args

    monkeypatch.setattr(app, "OUTPUT_ROOT", tmp_path / "outputs")
    monkeypatch.setattr(app, "get_pipeline", lambda: pytest.fail("the models were loaded for a refused request"))
    call = CALL_CASES[name]
    image, audio, _ = inputs
    with pytest.raises(gr.Error) as caught:
        app.animate(**animate_args(image, audio, **call.app), progress=no_progress)
    print(f"\n[app] {name}: {caught.value.message}")
    assert_one_sentence(str(caught.value.message), call.expect)
    assert not (tmp_path / "outputs").exists() or not list((tmp_path / "outputs").iterdir())
