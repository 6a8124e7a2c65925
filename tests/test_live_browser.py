"""The Live tab in a real browser: ``python app.py`` served, Debian's chromium with a fake microphone that plays
vowel-like bursts and silences, the portrait's mouth moving with them in the page.

Needs ``/usr/bin/chromium`` and the ``playwright`` package (``.ci/run`` installs both); skipped otherwise.
The screenshot's path is printed (``-s`` shows it).
"""

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
BURST, SILENCE = 0.3, 0.5  # seconds: the fake microphone's pattern, looped


def bursts_wav(path: Path, rate: int = 48000, repeats: int = 6) -> Path:
    """Vowel-like bursts (a 140 Hz voice with its harmonics, faded in and out) between silences."""
    import soundfile

    t = np.arange(int(BURST * rate)) / rate
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12)) * np.hanning(len(t)) ** 0.3
    cycle = np.concatenate([np.zeros(int(SILENCE * rate)), 0.3 * voice / np.abs(voice).max()])
    soundfile.write(path, np.tile(cycle, repeats).astype(np.float32), rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """``python app.py`` on a free port, allowing one live session at a time."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "STYLEHEAD_MAX_LIVE_SESSIONS": "1", "TMPDIR": str(tmp_path_factory.mktemp("app_tmp"))}  # fmt: skip
    log = open(tmp_path_factory.mktemp("app_log") / "app.log", "w+")  # noqa: SIM115 (read back on failure)
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    try:
        deadline = time.time() + 240
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    pytest.fail(f"python app.py did not serve the app:\n{log.read()[-3000:]}")
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture()
def browser(tmp_path):
    microphone = bursts_wav(tmp_path / "bursts.wav")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={microphone}", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        yield browser
        browser.close()


def open_live_tab(browser, url: str, portrait: Path):
    page = browser.new_page()
    page.set_default_timeout(240_000)
    page.add_init_script("window.styleheadLiveLog = [];")
    page.goto(url)
    page.get_by_role("tab", name="Live").click()
    page.locator("#live_portrait input[type=file]").first.set_input_files(str(portrait))
    page.locator("#live_portrait img").first.wait_for()
    return page


def status(page) -> str:
    return page.locator("#live .live-status").inner_text()


def mouth_patches(frames: list[np.ndarray]) -> np.ndarray:
    """A 32×48 grey patch around the mouth of each frame (its landmarks found in each frame: the head moves)."""
    import cv2

    from stylehead.face.detection import find_face, predict_landmarks, to_gray
    from stylehead.face.landmarks import MOUTH

    box = find_face(frames[0]).box
    patches = []
    for frame in frames:
        centre = predict_landmarks(to_gray(frame), box)[list(MOUTH)].mean(0)
        matrix = np.float32([[1, 0, 24 - centre[0]], [0, 1, 16 - centre[1]]])
        patches.append(cv2.warpAffine(to_gray(frame), matrix, (48, 32)).astype(np.float32))
    return np.stack(patches)


def test_the_portrait_talks_back_to_the_microphone_and_stop_frees_the_slot(live_url, browser, portrait_path,
                                                                           tmp_path):  # fmt: skip
    import cv2

    page = open_live_tab(browser, live_url, portrait_path)
    page.locator("#live .live-start").click()
    page.wait_for_function("() => window.styleheadLiveLog.length >= 150")  # 6 s of frames at 25 fps
    shot = tmp_path / "live_tab.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of the Live tab: {shot}")
    assert status(page).startswith("Live:")

    other = open_live_tab(browser, live_url, portrait_path)  # a second visitor while the only slot is taken
    other.locator("#live .live-start").click()
    other.wait_for_function("() => document.querySelector('#live .live-status').textContent.startsWith('Every')")
    assert status(other) == ("Every live session this server allows (1) is in use; try again in a minute, "
                             "or animate a recording in the Animate tab.")  # fmt: skip

    log = page.evaluate("() => window.styleheadLiveLog.map(({index, loudness, jpeg}) => ({index, loudness, jpeg}))")
    page.locator("#live .live-stop").click()
    page.wait_for_function("() => document.querySelector('#live .live-status').textContent === 'Stopped.'")
    assert "Traceback" not in page.content() and "rror" not in status(page)

    other.locator("#live .live-start").click()  # the slot was freed by Stop
    other.wait_for_function("() => window.styleheadLiveLog.length >= 10")
    other.locator("#live .live-stop").click()

    indices = [entry["index"] for entry in log]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)  # in order, none twice
    frames = [cv2.imdecode(np.frombuffer(base64.b64decode(e["jpeg"]), np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
              for e in log[25:]]  # fmt: skip  # (the first second: the session settling)
    loudness = np.array([entry["loudness"] for entry in log[25:]])
    loud, quiet = loudness > 0.05, loudness < 0.005
    assert loud.sum() >= 15 and quiet.sum() >= 25, f"the microphone's bursts did not reach the frames: {loudness}"
    patches = mouth_patches(frames)
    rest = patches[quiet].mean(0)
    change = np.abs(patches - rest).mean(axis=(1, 2))  # grey levels
    assert np.median(change[loud]) > 2 * np.median(change[quiet]), (np.median(change[loud]), np.median(change[quiet]))


def test_an_audio_file_streams_through_the_same_path_and_the_session_ends_with_it(live_url, browser, portrait_path,
                                                                                   speech_path, tmp_path):  # fmt: skip
    from stylehead.media import read_audio, write_wav

    clip = write_wav(tmp_path / "speech 3s.wav", read_audio(speech_path)[: 3 * 16000])
    page = open_live_tab(browser, live_url, portrait_path)
    page.locator("#live input.live-source[value=file]").check()
    page.locator("#live .live-start").click()
    assert status(page) == "Choose an audio file first."
    page.locator("#live .live-file").set_input_files(str(clip))
    page.locator("#live .live-start").click()
    page.wait_for_function("() => document.querySelector('#live .live-status').textContent === 'Finished.'")
    log = page.evaluate("() => window.styleheadLiveLog.map(({index, loudness}) => ({index, loudness}))")
    assert len(log) >= 60 and log[-1]["index"] >= 70  # 3 s at 25 fps, paced in real time, a few frames skipped
    assert max(entry["loudness"] for entry in log) > 0.02  # the file's sound went with its frames
    assert "Traceback" not in page.content()
    page.locator("#live .live-start").click()  # and the slot is free again for this visitor
    page.wait_for_function("() => window.styleheadLiveLog.length > 90")
