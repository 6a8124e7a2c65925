"""The Gradio app: its handlers with the bundled weights, and the app served on 127.0.0.1 to gradio_client."""

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from stylehead.media import read_audio, write_wav
from stylehead.media.ffmpeg import probe

gr = pytest.importorskip("gradio")


def no_progress(*args, **kwargs):
    return None


@pytest.fixture(scope="module")
def app():
    import app as module

    return module


@pytest.fixture(scope="module")
def short_speech(speech_path, tmp_path_factory):
    return write_wav(tmp_path_factory.mktemp("audio") / "short.wav", read_audio(speech_path)[: int(2.5 * 16000)])


def animate_args(image, audio, **changes):
    values = dict(image=str(image) if image else None, audio=str(audio) if audio else None, style=None,
                  style_video=None, head_motion=1.0, mouth=1.0, blink_rate=17, still=False, fps=25, size="256",
                  mode="crop", seed=0, facial_map=False, session_styles={})  # fmt: skip
    values.update(changes)
    return values


def test_animate_handler_makes_a_video_with_sound_and_the_styles_references(app, portrait_path, short_speech):

    style = app.preset_names()[0] if app.preset_names() else None
    video, gallery, map_video, summary, session, _ = app.animate(
        **animate_args(portrait_path, short_speech, style=style, facial_map=True), progress=no_progress
    )
    info = probe(video)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac") and abs(info.duration - 2.5) < 0.1
    assert info.size == (256, 256) and info.fps == 25
    assert probe(map_video).has_video and "s of video in" in summary
    assert len(gallery) == (4 if style else 0) and session == {}


def _blinks(blink: np.ndarray) -> int:
    """Blink onsets in a (T,) eyelid-closure curve."""
    shut = blink > 0.5
    return int((shut[1:] & ~shut[:-1]).sum())


def test_a_style_blinks_at_its_own_rate_through_animate_with_default_controls(app, portrait_path, tmp_path,
                                                                               monkeypatch):  # fmt: skip
    """The blink control's default is the style's own rate, in the handler and in the served page's control;
    a rate the user sets wins."""
    from stylehead.style.pack import StylePack
    from tests.synthetic import tone

    pack = StylePack.load(app.get_pipeline().style_models.presets / "neutral.safetensors")
    pack.blink_rate_per_minute, pack.name = 45.0, "blinky"  # far from the default 17
    path = pack.save(tmp_path / "blinky.safetensors")
    audio = write_wav(tmp_path / "tone.wav", tone(24.0))
    made = []
    pipeline = app.get_pipeline()
    monkeypatch.setattr(app, "get_pipeline", lambda: lambda *a, **k: made.append(pipeline(*a, **k)) or made[-1])
    session = {"blinky": str(path)}
    app.animate(image=str(portrait_path), audio=str(audio), style="learned: blinky", session_styles=session,
                size="256", progress=no_progress)  # fmt: skip
    app.animate(image=str(portrait_path), audio=str(audio), style="learned: blinky", session_styles=session,
                size="256", blink_rate=6, progress=no_progress)  # fmt: skip
    minutes = 24.0 / 60
    style_rate, user_rate = (_blinks(result.motion.blink) / minutes for result in made)
    assert abs(style_rate / 45.0 - 1) < 0.3 and abs(user_rate / 6.0 - 1) < 0.5, (style_rate, user_rate)
    blink_control = next(block for block in app.demo.blocks.values() if getattr(block, "label", None) ==
                         "Blinks per minute")  # fmt: skip
    assert blink_control.value is None  # the page sends "the style's own" unless the visitor sets a rate


@pytest.mark.integration
def test_learn_style_handler_adds_the_style_to_this_session_only(app, portrait_path, short_speech, tmp_path):
    from stylehead import StyleHeadPipeline

    reference = StyleHeadPipeline.from_pretrained()(portrait_path, short_speech, tmp_path / "ref.mp4", fps=25,
                                                    size=256, head_motion_scale=2.0)  # fmt: skip
    path, gallery, text, session, dropdown = app.learn_style(str(reference.video), "mine", {}, progress=no_progress)
    assert path.endswith("mine.safetensors") and len(gallery) == 4 and "**mine**" in text
    assert session == {"mine": path} and "learned: mine" in dropdown["choices"]
    assert "learned: mine" not in app.style_choices({})  # another visitor does not see it
    video, gallery, *_ = app.animate(**animate_args(portrait_path, short_speech, style="learned: mine",
                                                    session_styles=session), progress=no_progress)  # fmt: skip
    assert len(gallery) == 4 and probe(video).has_audio


def test_user_errors_become_readable_messages(app, portrait_path, short_speech, faceless_video, tmp_path, monkeypatch):
    blank = tmp_path / "blank.png"
    from stylehead.media.image import write_image

    write_image(blank, np.full((200, 200, 3), 128, np.uint8))
    cases = {
        "Upload a portrait": animate_args(None, short_speech),
        "Upload or record some audio": animate_args(portrait_path, None),
        "No face": animate_args(blank, short_speech),
        "no longer here": animate_args(portrait_path, short_speech, style="learned: gone"),
    }
    for message, args in cases.items():
        with pytest.raises(gr.Error, match=message):
            app.animate(**args, progress=no_progress)
    monkeypatch.setattr(app, "LIMITS", app.AppLimits(max_audio_seconds=1.0))
    with pytest.raises(gr.Error, match="the limit is 1 s"):
        app.animate(**animate_args(portrait_path, short_speech), progress=no_progress)
    with pytest.raises(gr.Error, match="No face was found"):
        app.learn_style(str(faceless_video), "x", {}, progress=no_progress)


def test_request_folders_are_private_and_old_ones_are_removed(app, monkeypatch, tmp_path):
    import os

    monkeypatch.setattr(app, "OUTPUT_ROOT", tmp_path / "outputs")
    first, second = app.request_folder(), app.request_folder()
    assert first != second and first.parent == second.parent == tmp_path / "outputs"
    old = time.time() - 3600
    os.utime(first, (old, old))
    app.request_folder()
    assert not first.exists() and second.exists()


@pytest.fixture(scope="module")
def served(app):
    """The demo on 127.0.0.1 (a free port), for gradio_client."""
    app.demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    yield app.demo.local_url
    app.demo.close()


def test_gradio_client_animates_and_learns_a_style(served, portrait_path, short_speech, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(served, verbose=False)
    video, *_ = client.predict(
        handle_file(str(portrait_path)), handle_file(str(short_speech)), "none (default motion)", None, 1.0, 1.0, 17,
        False, 25, "256", "crop", 0, False, api_name="/animate",
    )  # fmt: skip
    path = video["video"] if isinstance(video, dict) else video
    info = probe(path)
    assert info.has_video and info.has_audio and abs(info.duration - 2.5) < 0.1
    # every input but the portrait and the audio is optional
    video, *_ = client.predict(image=handle_file(str(portrait_path)), audio=handle_file(str(short_speech)),
                               api_name="/animate")  # fmt: skip
    path = video["video"] if isinstance(video, dict) else video
    assert probe(path).has_video
    pack, gallery, *_ = client.predict(video=handle_file(path), api_name="/learn_style")  # the name is optional too
    assert Path(pack).suffix == ".safetensors" and len(gallery) == 4


def client_animate(client, image, audio, style="none (default motion)", style_video=None):
    from gradio_client import handle_file

    return client.predict(
        handle_file(str(image)), handle_file(str(audio)), style, handle_file(str(style_video)) if style_video else None,
        1.0, 1.0, 17, False, 25, "256", "crop", 0, False, api_name="/animate",
    )  # fmt: skip


def test_gradio_client_learns_a_style_and_reports_errors_in_words(served, portrait_path, short_speech, tmp_path,
                                                                  faceless_video):  # fmt: skip
    from gradio_client import Client, handle_file

    from stylehead import StyleHeadPipeline

    client = Client(served, verbose=False)
    reference = StyleHeadPipeline.from_pretrained()(portrait_path, short_speech, tmp_path / "ref.mp4", fps=25,
                                                    size=256)  # fmt: skip
    pack, gallery, text, _ = client.predict(handle_file(str(reference.video)), "client style", api_name="/learn_style")
    assert Path(pack).suffix == ".safetensors" and len(gallery) == 4 and "client style" in text

    corrupt_image = tmp_path / "broken.png"
    corrupt_image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    corrupt_audio = tmp_path / "broken.wav"
    corrupt_audio.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x01" * 10)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000, np.float32))
    not_numbers = tmp_path / "nan.wav"
    soundfile.write(not_numbers, np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT")
    for args, message in [
        ((corrupt_image, short_speech), "broken.png"),
        ((portrait_path, corrupt_audio), "broken.wav"),
        ((portrait_path, not_numbers), "not numbers"),
        ((portrait_path, short_speech, "none (default motion)", faceless_video), "No face was found"),
    ]:
        with pytest.raises(Exception, match=message) as caught:
            client_animate(client, *args)
        assert "Traceback" not in str(caught.value)
    *_, summary, _ = client_animate(client, portrait_path, silent)
    assert "silent" in summary


def test_four_concurrent_visitors_get_their_own_videos(served, portrait_path, speech_path, tmp_path):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import psutil
    from gradio_client import Client

    speech = read_audio(speech_path)
    inputs = [write_wav(tmp_path / f"visitor {i}.wav", speech[: int(seconds * 16000)])
              for i, seconds in enumerate((1.2, 1.8, 2.4, 3.0))]  # fmt: skip
    process, peak, done = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda audio: client_animate(Client(served, verbose=False), portrait_path, audio),
                                    inputs))  # fmt: skip
    finally:
        done.set()
        sampler.join()
    for audio, (video, *_) in zip(inputs, results, strict=True):
        path = video["video"] if isinstance(video, dict) else video
        assert abs(probe(path).duration - len(read_audio(audio)) / 16000) < 0.1  # its own input, not another's
    print(f"4 concurrent requests: peak memory of the app's process {peak[0] / 2**20:.0f} MB")
    assert peak[0] < 4 * 2**30


def test_importing_the_app_only_builds_the_demo(tmp_path):
    import subprocess
    import sys

    code = ("import os, app; print(type(app.demo).__name__, app.get_pipeline.cache_info().currsize, "
            "os.listdir(os.environ['TMPDIR']))")  # fmt: skip
    env = {**__import__("os").environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).resolve().parents[1], timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0:2] == ["Blocks", "0"]  # no pipeline loaded
    assert "stylehead-app" not in result.stdout  # no output folder made


@pytest.mark.parametrize("command", [["python", "app.py"], ["gradio", "app.py"]])
def test_the_app_starts_with_python_and_with_gradio(command, tmp_path):
    import contextlib
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    executable = [sys.executable] if command[0] == "python" else [str(Path(sys.executable).parent / "gradio")]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    # its own process group: `gradio app.py` runs the app in a child process (reload mode) that must stop too
    process = subprocess.Popen([*executable, command[1]], cwd=Path(__file__).resolve().parents[1], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200 and b"stylehead" in response.read()
                    return
            except OSError:
                assert process.poll() is None, f"{' '.join(command)} exited with {process.returncode}"
                time.sleep(1)
        pytest.fail(f"{' '.join(command)} did not serve the app within 4 minutes")
    finally:
        import signal

        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything in the group that ignored SIGTERM


# --- hostile requests: crafted paths, styles that are paths, temporary files ---------------------


def raw_animate(url: str, image, audio, style="none (default motion)") -> str:
    """POST /animate as any HTTP client can, file fields written by hand; the event stream's text."""
    import httpx

    data = [image, audio, style, None, 1.0, 1.0, 17, False, 25, "256", "crop", 0, False]
    response = httpx.post(f"{url.rstrip('/')}/gradio_api/call/animate", json={"data": data}, timeout=60)
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    event = response.json()["event_id"]
    return httpx.get(f"{url.rstrip('/')}/gradio_api/call/animate/{event}", timeout=300).text


def test_crafted_paths_are_neither_read_nor_served(served, app, portrait_path, short_speech, tmp_path):
    import httpx
    from gradio_client import Client, handle_file

    client = Client(served, verbose=False)
    video, *_ = client_animate(client, portrait_path, short_speech)  # another visitor's output
    theirs = next(app.OUTPUT_ROOT.glob("request-*/talking_head.mp4"))
    secret = tmp_path / "secret.wav"
    write_wav(secret, np.zeros(8000, np.float32))
    meta = {"_type": "gradio.FileData"}
    for path in ["/etc/passwd", "../../../../etc/passwd", str(theirs), str(secret), str(portrait_path)]:
        for field in ({"path": path, "meta": meta}, {"path": path}, path):
            stream = raw_animate(served, {"path": str(portrait_path), "meta": meta}, field)
            assert "event: complete" not in stream and "talking_head" not in stream, (path, stream[-300:])
    for path in ["/etc/passwd", "../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", str(theirs), "app.py",
                 str(Path(__file__))]:  # fmt: skip
        response = httpx.get(f"{served.rstrip('/')}/gradio_api/file={path}", timeout=30)
        assert response.status_code in (403, 404) and b"root:" not in response.content, path
    for style in [str(theirs), "/etc/passwd", "../presets/sad.safetensors", str(secret)]:  # a style is never a path
        with pytest.raises(Exception, match="There is no style") as caught:
            client.predict(handle_file(str(portrait_path)), handle_file(str(short_speech)), style, None, 1.0, 1.0,
                           17, False, 25, "256", "crop", 0, False, api_name="/animate")  # fmt: skip
        assert "Traceback" not in str(caught.value)
    path = video["video"] if isinstance(video, dict) else video
    assert probe(path).has_video  # the legitimate output was served to its own client


def test_the_app_is_never_shared_publicly_by_default(served, app, monkeypatch):
    import runpy

    assert app.demo.share is False
    calls = []
    monkeypatch.setenv("GRADIO_SHARE", "True")  # even then
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: calls.append(kwargs))
    runpy.run_path(str(Path(app.__file__)), run_name="__main__")
    assert calls and calls[0].get("share") is False


def test_the_temp_area_holds_only_the_live_outputs(app, portrait_path, short_speech, monkeypatch, tmp_path):
    import tempfile

    system_temp = Path(tempfile.gettempdir())
    before = {p.name for p in system_temp.glob("stylehead-*")}
    monkeypatch.setattr(app, "OUTPUT_ROOT", tmp_path / "outputs")
    monkeypatch.setattr(app, "LIMITS", app.AppLimits(max_kept_requests=3))
    short = write_wav(tmp_path / "short.wav", read_audio(short_speech)[:8000])
    videos = []
    for request in range(8):
        if request % 3 == 2:  # a failed request in between: nothing of it stays
            with pytest.raises(gr.Error):
                app.animate(**animate_args(portrait_path, short, style="/etc/passwd"), progress=no_progress)
            with pytest.raises(gr.Error):
                app.animate(**animate_args(portrait_path, portrait_path), progress=no_progress)
            continue
        video, *_ = app.animate(**animate_args(portrait_path, short), progress=no_progress)
        videos.append(Path(video))
    folders = sorted((tmp_path / "outputs").iterdir())
    assert len(folders) == 3  # the kept count, not the 8 + 4 requests made
    assert sorted(p.name for f in folders for p in f.iterdir()) == ["talking_head.mp4"] * 3  # no partial files
    assert all(v.exists() for v in videos[-3:]) and not any(v.exists() for v in videos[:-3])
    assert {p.name for p in system_temp.glob("stylehead-*")} <= before  # no writer scratch or pipeline folders


def test_renderer_choice_offers_neural_only_with_generator_weights(app, portrait_path, short_speech, monkeypatch,
                                                                   tmp_path):  # fmt: skip
    from stylehead.render.generator import GeneratorConfig, StyleAwareGenerator

    monkeypatch.delenv("STYLEHEAD_GENERATOR", raising=False)
    assert app.renderer_choices() == ["warp"]
    with pytest.raises(gr.Error, match="neural renderer has no weights"):
        app.animate(**animate_args(portrait_path, short_speech), renderer="neural", progress=no_progress)
    StyleAwareGenerator(GeneratorConfig(channels=(8, 8, 8), resolution=64)).save_pretrained(tmp_path / "g")
    monkeypatch.setenv("STYLEHEAD_GENERATOR", str(tmp_path / "g"))
    app.get_pipeline.cache_clear()
    try:
        assert app.renderer_choices() == ["warp", "neural"]
        video, *_ = app.animate(**animate_args(portrait_path, short_speech), renderer="neural", progress=no_progress)
        assert probe(video).size == (256, 256)
    finally:
        app.get_pipeline.cache_clear()


def test_out_of_range_controls_are_refused_at_once_and_do_not_slow_the_next_visitor(served, portrait_path,
                                                                                    short_speech):  # fmt: skip
    """Through the API (no slider limits there): a control out of range is refused in words in under a second, and
    a normal request sent right after it takes its usual time."""
    from gradio_client import Client, handle_file

    client = Client(served, verbose=False)

    def normal() -> float:
        started = time.perf_counter()
        video, *_ = client.predict(handle_file(str(portrait_path)), handle_file(str(short_speech)),
                                   api_name="/animate")  # fmt: skip
        assert probe(video["video"] if isinstance(video, dict) else video).has_video
        return time.perf_counter() - started

    normal()  # the models load on the first request
    usual = normal()
    slowest = 0.0
    for controls, message in [({"head_motion": 100}, "between 0 and 2"), ({"seed": -1}, "--seed"),
                              ({"mouth": "nan"}, "--mouth-scale"), ({"fps": 1000}, "--fps")]:  # fmt: skip
        started = time.perf_counter()
        with pytest.raises(Exception, match=message):
            client.predict(image=handle_file(str(portrait_path)), audio=handle_file(str(short_speech)), **controls,
                           api_name="/animate")  # fmt: skip
        refused_in = time.perf_counter() - started
        assert refused_in < 1.0, (controls, refused_in)
        slowest = max(slowest, refused_in)
    after = normal()
    print(f"normal request {usual:.2f} s, refused ones at most {slowest:.2f} s, the next normal one {after:.2f} s")
    assert after < 1.5 * usual + 1.0
