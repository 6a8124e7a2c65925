"""The app in a real browser: Debian's chromium driven by Playwright, as a visitor uses it.

Needs ``/usr/bin/chromium`` and the ``playwright`` package (``.ci/run`` installs both); skipped
otherwise. Screenshots go to ``$STYLEHEAD_ARTIFACTS`` (default ``test-artifacts/``).
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from stylehead.media import read_audio, write_wav

pytestmark = [pytest.mark.browser, pytest.mark.integration]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

ARTIFACTS = Path(os.environ.get("STYLEHEAD_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))


@pytest.fixture(scope="module")
def app_url():
    import app

    app.demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    yield app.demo.local_url
    app.demo.close()


@pytest.fixture()
def page(tmp_path):
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--headless", "--disable-background-networking", "--disable-gpu"],
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(240_000)
        yield page
        context.close()


def upload(page, elem_id: str, path: Path) -> None:
    page.locator(f"#{elem_id} input[type=file]").first.set_input_files(str(path))


def test_a_visitor_animates_the_example_with_a_preset(app_url, page, portrait_path, speech_path, tmp_path):
    import app

    audio = write_wav(tmp_path / "speech 3s.wav", read_audio(speech_path)[: 3 * 16000])
    page.goto(app_url)
    upload(page, "portrait", portrait_path)
    upload(page, "audio", audio)
    page.locator("#style input").click()
    preset = app.preset_names()[0]
    page.get_by_role("option", name=preset, exact=True).click()
    page.locator("#generate").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('#result video');"
        " return v && v.currentSrc && v.readyState >= 1 && isFinite(v.duration) && v.duration > 0; }"
    )
    duration = page.evaluate("() => document.querySelector('#result video').duration")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "animate_with_preset.png"), full_page=True)
    assert abs(duration - 3.0) < 0.15


def test_a_portrait_without_a_face_shows_a_readable_message(app_url, page, speech_path, tmp_path):
    from stylehead.media.image import write_image

    blank = write_image(tmp_path / "wall.png", np.full((240, 240, 3), 140, np.uint8))
    audio = write_wav(tmp_path / "speech.wav", read_audio(speech_path)[:16000])
    page.goto(app_url)
    upload(page, "portrait", blank)
    upload(page, "audio", audio)
    page.locator("#generate").click()
    message = page.get_by_text("No face", exact=False).first
    message.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "no_face_message.png"), full_page=True)
    assert "Traceback" not in page.content()
