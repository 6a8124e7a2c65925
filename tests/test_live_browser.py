"""The Live tab in a real browser: ``python app.py`` served, Debian's chromium with a fake microphone that plays
bursts of speech between silences, the portrait's mouth moving with them in the page.

Needs ``/usr/bin/chromium`` and the ``playwright`` package (``.ci/run`` installs both); skipped otherwise.
The screenshot's path is printed (``-s`` shows it).
"""

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from benchmarks.app_load import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
BURST, SILENCE = 0.3, 0.5  # seconds: the fake microphone's pattern, looped


def speech_bursts_wav(path: Path, speech: Path, bursts: int = 8) -> Path:
    """The loudest 0.3 s pieces of the example speech, in their order, each after 0.5 s of silence (48 kHz).

    Real speech rather than a synthetic vowel: the speech encoder hears a harmonic buzz as little like speech.
    """
    import soundfile
    from scipy.signal import resample_poly

    from stylehead.media import read_audio

    audio, width = read_audio(speech), int(BURST * 16000)
    pieces = audio[: len(audio) // width * width].reshape(-1, width)
    chosen = np.sort(np.argsort(np.sqrt((pieces**2).mean(1)))[-bursts:])
    silence = np.zeros(int(SILENCE * 16000), np.float32)
    sound = np.concatenate([part for i in chosen for part in (silence, pieces[i] * np.hanning(width) ** 0.2)])
    soundfile.write(path, resample_poly(sound, 3, 1).astype(np.float32), 48000, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """``python app.py`` on a free port, allowing one live session at a time."""
    port = free_port()
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
def browser(tmp_path, speech_path):
    microphone = speech_bursts_wav(tmp_path / "bursts.wav", speech_path)
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
    page.console_lines = []  # what the page logs (live.js says when it cannot use an AudioWorklet)
    page.on("console", lambda message: page.console_lines.append(message.text))
    page.set_default_timeout(240_000)
    page.add_init_script("window.styleheadLiveLog = [];")
    page.goto(url)
    page.get_by_role("tab", name="Live").click()
    page.locator("#live_portrait input[type=file]").first.set_input_files(str(portrait))
    page.locator("#live_portrait img").first.wait_for()
    return page


def status(page) -> str:
    return page.locator("#live .live-status").inner_text()


def mouths(frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's mouth: a 32×48 grey patch around it (found in each frame: the head moves) and its inner
    lips' opening (pixels)."""
    import cv2

    from stylehead.face.detection import find_face, predict_landmarks, to_gray
    from stylehead.face.landmarks import INNER_LIP_PAIRS, MOUTH

    box = find_face(frames[0]).box
    patches, openings = [], []
    for frame in frames:
        points = predict_landmarks(to_gray(frame), box)
        centre = points[list(MOUTH)].mean(0)
        matrix = np.float32([[1, 0, 24 - centre[0]], [0, 1, 16 - centre[1]]])
        patches.append(cv2.warpAffine(to_gray(frame), matrix, (48, 32)).astype(np.float32))
        openings.append(np.mean([np.linalg.norm(points[upper] - points[lower]) for upper, lower in INNER_LIP_PAIRS]))
    return np.stack(patches), np.array(openings)


def speaking_and_silent(loudness: dict[int, float], indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Frames during a burst (its next 4 frames' sound is loud: the mouth leads the sound by a few frames, offline
    as live) and frames deep in a silence (no sound from 2 frames before to 5 after)."""
    near = [[loudness.get(i + k, 0.0) for k in range(-2, 6)] for i in indices]
    speaking = np.array([np.mean(sound[3:7]) > 0.05 for sound in near])
    silent = np.array([max(sound) < 0.005 for sound in near])
    return speaking, silent


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
    assert not any("AudioWorklet unavailable" in line for line in page.console_lines), page.console_lines

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
    log = log[25:-5]  # (the first second: the session settling; the last frames: their sound's future unknown)
    frames = [cv2.imdecode(np.frombuffer(base64.b64decode(e["jpeg"]), np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
              for e in log]  # fmt: skip
    speaking, silent = speaking_and_silent({e["index"]: e["loudness"] for e in log}, [e["index"] for e in log])
    assert speaking.sum() >= 15 and silent.sum() >= 15, "the microphone's bursts did not reach the frames"
    patches, openings = mouths(frames)
    at_rest = patches[silent].mean(0)
    change = np.abs(patches - at_rest).mean(axis=(1, 2))  # grey levels from the mouth at rest
    print(
        f"mouth change from rest, speaking / silent: {np.median(change[speaking]):.2f} / "
        f"{np.median(change[silent]):.2f} grey levels; opening {openings[speaking].mean():.2f} / "
        f"{openings[silent].mean():.2f} px ({speaking.sum()} and {silent.sum()} frames)"
    )
    # the mouth differs from its rest more while speaking than the silent frames differ from it, and opens wider
    assert np.median(change[speaking]) > 1.25 * np.median(change[silent]), (change[speaking], change[silent])
    assert openings[speaking].mean() > 1.3 * openings[silent].mean(), (openings[speaking], openings[silent])


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
