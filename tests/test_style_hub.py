"""Styles on the Hub: ``--style owner/name`` and ``style="owner/name"`` from a local Hugging Face cache, offline (the
cache is built by hand, as tests/test_default_weights.py builds one), each failure in one sentence, and
``push-style`` (``--dry-run``: the repo's files; without network: one sentence, exit 2)."""

import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from stylehead.errors import StyleheadError
from stylehead.hub import BUNDLED_WEIGHTS
from stylehead.media import read_audio, write_wav
from stylehead.style.card import style_card
from stylehead.style.library import load_style
from stylehead.style.pack import StylePack
from stylehead.style.sharing import HubStyle, StyleRepo
from tests.test_cli import assert_one_line_error, run_cli

PRESETS = BUNDLED_WEIGHTS / "presets"
MAIN = "1111111111111111111111111111111111111111"
TAGGED = "2222222222222222222222222222222222222222"
OTHER_BASE = "0000000000000000"


def add_repo(cache: Path, repo_id: str, commit: str, files: dict[str, bytes], refs: tuple[str, ...] = ("main",)):
    """One snapshot of a model repo in a Hugging Face cache, as ``hf_hub_download`` leaves it (refs → commit)."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name, data in files.items():
        (snapshot / name).write_bytes(data)
    (repo / "refs").mkdir(exist_ok=True)
    for ref in refs:
        (repo / "refs" / ref).write_text(commit)  # no newline: the cache's own format


def card_bytes(pack: StylePack, repo_id: str, weights: str = "") -> bytes:
    return str(style_card(pack, repo_id, weights=weights)).encode()


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory) -> Path:
    """someone/calm-style (main: the sad preset; tag v1: the furious one), and repos that must be refused."""
    cache = tmp_path_factory.mktemp("hf_cache")
    sad, furious = (PRESETS / "sad.safetensors").read_bytes(), (PRESETS / "furious.safetensors").read_bytes()
    add_repo(cache, "someone/calm-style", MAIN, {"style.safetensors": sad})
    add_repo(cache, "someone/calm-style", TAGGED, {"style.safetensors": furious}, refs=("v1",))
    garbled = bytearray(sad)
    garbled[8:40] = b"\xff" * 32  # the header's JSON, overwritten
    add_repo(cache, "someone/garbled-style", MAIN, {"style.safetensors": bytes(garbled)})
    add_repo(cache, "someone/huge-header", MAIN, {"style.safetensors": struct.pack("<Q", 2 << 20) + b" " * (2 << 20)})
    foreign = StylePack.load(PRESETS / "sad.safetensors")
    foreign.base = OTHER_BASE  # learned on other generator weights
    foreign_file = foreign.save(cache / "foreign.safetensors").read_bytes()
    add_repo(cache, "someone/other-weights", MAIN, {"style.safetensors": foreign_file,
             "README.md": card_bytes(foreign, "someone/other-weights", weights="someone/other-bundle")})  # fmt: skip
    add_repo(cache, "someone/other-weights-no-card", MAIN, {"style.safetensors": foreign_file})
    return cache


@pytest.fixture
def offline_cache(hub_cache, monkeypatch) -> Path:
    """The hand-built cache, offline, for this process (huggingface_hub's constants) and the ones it starts."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return hub_cache


@pytest.fixture(scope="module")
def pipeline():
    from stylehead import StyleHeadPipeline

    return StyleHeadPipeline.from_pretrained()


@pytest.fixture(scope="module")
def short_speech(speech_path, tmp_path_factory) -> Path:
    return write_wav(tmp_path_factory.mktemp("audio") / "short.wav", read_audio(speech_path)[:24_000])


def tensors_and_metadata(path: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    with safe_open(str(path), "numpy") as handle:
        return {key: handle.get_tensor(key).tobytes() for key in handle.keys()}, handle.metadata()  # noqa: SIM118


def test_what_counts_as_a_hub_id():
    assert HubStyle.parse("someone/calm-style") == HubStyle("someone/calm-style")
    assert HubStyle.parse(f"someone/calm-style@{MAIN}") == HubStyle("someone/calm-style", MAIN)
    assert HubStyle.parse("someone/calm-style@refs/pr/3") == HubStyle("someone/calm-style", "refs/pr/3")
    for text in ("neutral", "./someone/style", "/etc/passwd", "~/a/b", "a/b/c", "clips/talk.mp4",
                 "me/theirs.safetensors", "../a", "a/-b", "someone/", "/a", "a b/c", None, 3):  # fmt: skip
        assert HubStyle.parse(text) is None, text


def test_a_style_loads_by_repo_id_offline_and_a_revision_pins_it(offline_cache, pipeline):
    models = pipeline.style_models
    pack = load_style("someone/calm-style", models)
    local = StylePack.load(PRESETS / "sad.safetensors")
    assert pack.name == "sad" and np.array_equal(pack.pose_track, local.pose_track)
    assert set(pack.deltas) == set(local.deltas) and pack.base == local.base
    assert load_style("someone/calm-style@v1", models).name == "furious"  # a tag
    assert load_style(f"someone/calm-style@{TAGGED}", models).name == "furious"  # a commit
    assert load_style("sad", models).name == "sad"  # a preset name is never looked up on the Hub


def test_an_existing_file_wins_over_a_hub_id(offline_cache, pipeline, tmp_path, monkeypatch):
    """``someone/calm-style`` that is a file here is that file (here: not a video, so refused as one), not the Hub's."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "someone").mkdir()
    (tmp_path / "someone" / "calm-style").write_text("a note, not a video\n" * 40)
    with pytest.raises(StyleheadError, match="calm-style") as refused:
        load_style("someone/calm-style", pipeline.style_models)
    assert "Hub" not in str(refused.value)


def test_the_python_pipeline_takes_a_style_by_repo_id(offline_cache, pipeline, portrait_path, short_speech,
                                                      tmp_path):  # fmt: skip
    result = pipeline(portrait_path, short_speech, tmp_path / "hub.mp4", style="someone/calm-style", size=256)
    assert result.style.name == "sad" and result.video.exists()
    by_file = pipeline(portrait_path, short_speech, tmp_path / "file.mp4", style=PRESETS / "sad.safetensors",
                       size=256)  # fmt: skip
    assert np.array_equal(result.landmarks, by_file.landmarks)  # the same style, the same motion


REFUSED = {  # style → what its one sentence must say
    "someone/absent-style": ["someone/absent-style is not in the local Hugging Face cache"],
    "someone/calm-style@v9": ["someone/calm-style at revision v9 is not in the local Hugging Face cache"],
    "someone/garbled-style": ["someone/garbled-style", "style.safetensors is not a style pack"],
    "someone/huge-header": ["someone/huge-header", "header claims"],
    "someone/other-weights": ["was made for someone/other-bundle (fingerprint 0000000000000000), not these"],
    "someone/other-weights-no-card": ["was made for the generator weights with fingerprint 0000000000000000"],
}


@pytest.mark.parametrize("style", list(REFUSED))
def test_each_hub_failure_is_one_sentence(offline_cache, pipeline, style):
    with pytest.raises(StyleheadError) as refused:
        load_style(style, pipeline.style_models)
    message = str(refused.value)
    assert "\n" not in message and message.endswith(".") and message[0].isupper(), message
    for fragment in REFUSED[style]:
        assert fragment in message, message


def test_a_local_pack_for_other_weights_is_refused_naming_them(pipeline, tmp_path):
    foreign = StylePack.load(PRESETS / "sad.safetensors")
    foreign.base = OTHER_BASE
    expected = f"fingerprint {OTHER_BASE}, not these \\({pipeline.motion_model.fingerprint}\\)"
    with pytest.raises(StyleheadError, match=expected):
        load_style(foreign.save(tmp_path / "foreign.safetensors"), pipeline.style_models)


def test_a_huge_pack_on_the_hub_is_refused_before_it_is_downloaded(hub_cache, monkeypatch, pipeline):
    import huggingface_hub
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", lambda url, **kw: type("M", (), {"size": 3 << 30}))

    def download(*args, **kwargs):
        raise AssertionError("downloaded")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    with pytest.raises(StyleheadError, match="someone/big-style is 3072 MB, more than the 200 MB"):
        load_style("someone/big-style", pipeline.style_models)


def test_animate_takes_a_style_by_repo_id_offline(offline_cache, portrait_path, short_speech, tmp_path):
    output = tmp_path / "hub.mp4"
    result = run_cli("animate", "--image", str(portrait_path), "--audio", str(short_speech), "-o", str(output),
                     "--size", "256", "--no-contact-sheet", "--style", "someone/calm-style@v1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert output.exists() and "256x256" in result.stdout


@pytest.mark.parametrize("style", ["someone/absent-style", "someone/calm-style@v9", "someone/huge-header",
                                   "someone/other-weights"])  # fmt: skip
def test_animate_ends_a_hub_failure_in_one_error_line(offline_cache, portrait_path, short_speech, tmp_path, style):
    result = run_cli("animate", "--image", str(portrait_path), "--audio", str(short_speech), "-o",
                     str(tmp_path / "o.mp4"), "--size", "256", "--style", style)  # fmt: skip
    assert_one_line_error(result, *REFUSED[style])
    assert not (tmp_path / "o.mp4").exists()


def test_push_style_dry_run_writes_a_repo_whose_card_renders_and_whose_pack_loads_back(tmp_path, pipeline):
    from huggingface_hub import ModelCard

    source = PRESETS / "furious.safetensors"
    folder = tmp_path / "repo"
    result = run_cli("push-style", str(source), "someone/furious-style", "--dry-run", str(folder),
                     "--license", "apache-2.0")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "nothing uploaded" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "preview.jpg", "style.safetensors"]
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "stylehead" and card.data.license == "apache-2.0"
    assert card.data.tags == ["stylehead", "talking-head", "style"]
    assert card.data.stylehead_weights_fingerprint == pipeline.motion_model.fingerprint
    assert card.data.stylehead_weights == "stylehead's bundled weights"
    assert "--style someone/furious-style" in card.text and "the mouth's timing against speech" in card.text
    assert tensors_and_metadata(folder / "style.safetensors") == tensors_and_metadata(source)  # byte-equal tensors
    pack = StylePack.load(folder / "style.safetensors")
    assert pack.name == "furious" and pack.not_learned == StylePack.load(source).not_learned
    from stylehead.media import read_image

    assert read_image(folder / "preview.jpg").shape == (320, 640, 3)  # four maps above four frames, 160 px each


def test_a_pack_saved_into_a_repo_folder_loads_back_identically(tmp_path):
    """``StylePack.push_to_hub`` stages the pack it holds (no file behind it): saved, it is the same pack."""
    pack = StylePack.load(PRESETS / "neutral.safetensors")
    folder = StyleRepo(pack, "someone/neutral-style").write(tmp_path / "repo")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "style.safetensors"]  # no preview given
    assert tensors_and_metadata(folder / "style.safetensors") == tensors_and_metadata(PRESETS / "neutral.safetensors")
    with pytest.raises(StyleheadError, match="is not an empty folder"):  # nothing is written over
        StyleRepo(pack, "someone/neutral-style").write(folder)


def test_push_to_hub_offline_is_one_sentence_and_uploads_nothing(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    pack = StylePack.load(PRESETS / "neutral.safetensors")
    with pytest.raises(StyleheadError, match="Nothing was uploaded to someone/neutral-style: HF_HUB_OFFLINE is set"):
        pack.push_to_hub("someone/neutral-style")
    with pytest.raises(StyleheadError, match="is not a Hub repo id"):
        pack.push_to_hub("not a repo")


def test_push_style_offline_ends_in_one_error_line(tmp_path, monkeypatch):
    pack = str(PRESETS / "neutral.safetensors")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert_one_line_error(run_cli("push-style", pack, "someone/neutral-style"), "HF_HUB_OFFLINE is set")
    assert_one_line_error(run_cli("push-style", pack, "someone/x@main", "--dry-run", str(tmp_path / "r")),
                          "is not a Hub repo id")  # fmt: skip
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep me")
    assert_one_line_error(run_cli("push-style", pack, "someone/x", "--dry-run", str(tmp_path / "full")),
                          "is not an empty folder")  # fmt: skip


def test_push_style_without_network_ends_in_one_error_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))  # no saved token
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: no network
    result = run_cli("push-style", str(PRESETS / "neutral.safetensors"), "someone/neutral-style")
    assert_one_line_error(result, "Nothing was uploaded to someone/neutral-style: the Hugging Face Hub cannot be "
                          "reached")  # fmt: skip


def test_the_app_takes_a_style_from_the_hub_and_never_a_path(offline_cache, portrait_path, short_speech):
    gr = pytest.importorskip("gradio")
    import app

    video, gallery, *_ = app.animate(image=str(portrait_path), audio=str(short_speech), style=app.NO_STYLE,
                                     hub_style=" someone/calm-style ", size="256",
                                     progress=lambda *a, **k: None)  # fmt: skip
    assert Path(video).exists() and len(gallery) == 4
    for crafted in ("/etc/passwd", "../someone/calm-style", str(PRESETS / "sad.safetensors")):
        with pytest.raises(gr.Error, match="is not a Hub repo id"):
            app.animate(image=str(portrait_path), audio=str(short_speech), hub_style=crafted,
                        progress=lambda *a, **k: None)  # fmt: skip


def test_publish_presets_writes_one_repo_per_preset_and_uploads_nothing_by_default(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    from huggingface_hub import ModelCard

    presets, output = tmp_path / "presets", tmp_path / "repos"
    presets.mkdir()
    shutil.copy(PRESETS / "sad.safetensors", presets)  # one preset is enough (each preview is seconds of work)
    repo = Path(__file__).resolve().parents[1]
    command = [sys.executable, str(repo / "train" / "publish_presets.py"), "--owner", "someone", "--presets",
               str(presets), "--output", str(output)]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(repo))  # this checkout's stylehead, whichever one is installed
    (output / "sad").mkdir(parents=True)
    (output / "sad" / "README.md").write_text("an earlier run's card\n")  # written anew
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "nothing uploaded" in result.stdout and sorted(p.name for p in output.iterdir()) == ["sad"]
    card = ModelCard.load(output / "sad" / "README.md")
    assert card.data.library_name == "stylehead" and "--style someone/stylehead-style-sad" in card.text
    assert "earlier run" not in card.text
    assert (output / "sad" / "style.safetensors").read_bytes() == (PRESETS / "sad.safetensors").read_bytes()
    assert (output / "sad" / "preview.jpg").read_bytes() == (PRESETS / "sad.jpg").read_bytes()  # the card's picture


def test_the_live_tab_takes_a_style_from_the_hub_typed_into_its_list(offline_cache, portrait_path):
    pytest.importorskip("gradio")
    import json

    import app
    from live_app import LiveSessions, LiveTab

    tab = LiveTab(LiveSessions(limit=2), app.open_live_session)
    answer = json.loads(tab.start(str(portrait_path), " someone/calm-style ", {}, "visitor a"))
    assert "token" in answer, answer
    tab.stop({"token": answer["token"]})
    refused = json.loads(tab.start(str(portrait_path), "someone/garbled-style", {}, "visitor a"))
    assert refused["error"].startswith("The Hub style someone/garbled-style")
    crafted = json.loads(tab.start(str(portrait_path), "/etc/passwd", {}, "visitor a"))  # never read as a path
    assert crafted["error"].startswith("There is no style")
