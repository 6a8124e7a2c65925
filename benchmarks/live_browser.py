"""The Live tab as a visitor's browser sees it: frames a second shown in the page and how far they trail the sound.

``python app.py`` is served on 127.0.0.1; headless chromium (Debian's) opens the Live tab with a fake microphone
playing a wav in a loop (default: vowel-like bursts of 0.3 s between 0.5 s silences), presses Start and watches
for ``--seconds``. The page itself measures (``live.js``): for every frame shown, the time between the moment the
page captured the frame's own sound and the moment the frame was drawn (microphone → page → server → page →
canvas, including the stated look-ahead of the session). ``--rtt-ms`` adds round-trip latency to every request
with DevTools' network emulation (a distant visitor); several values make one run each. Prints the report (JSON)
and writes it to ``-o`` when given (``docs/reports/live_browser.json`` is this with its defaults).

    python benchmarks/live_browser.py [--seconds 20] [--rtt-ms 0 100] [--wav examples/speech.wav] [--style NAME]
        [-o docs/reports/live_browser.json]
"""

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def bursts_wav(path: Path, rate: int = 48000) -> Path:
    import soundfile

    t = np.arange(int(0.3 * rate)) / rate
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12)) * np.hanning(len(t)) ** 0.3
    cycle = np.concatenate([np.zeros(int(0.5 * rate)), 0.3 * voice / np.abs(voice).max()])
    soundfile.write(path, np.tile(cycle, 6).astype(np.float32), rate, subtype="PCM_16")
    return path


@contextlib.contextmanager
def served_app(folder: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "TMPDIR": str(folder)}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        for _ in range(240):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            if process.poll() is not None:
                raise SystemExit("python app.py exited")
            time.sleep(1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def measure(url: str, wav: Path, seconds: float, rtt_ms: float, style: str | None) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        page = browser.new_page()
        page.set_default_timeout(240_000)
        page.add_init_script("window.styleheadLiveLog = [];")
        page.goto(url)
        page.get_by_role("tab", name="Live").click()
        page.locator("#live_portrait input[type=file]").first.set_input_files(str(REPO / "examples" / "portrait.png"))
        page.locator("#live_portrait img").first.wait_for()
        if style:
            page.locator("#live_style input").click()
            page.get_by_role("option", name=style, exact=True).click()
        if rtt_ms:
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            slow = {"offline": False, "latency": rtt_ms, "downloadThroughput": -1, "uploadThroughput": -1}
            cdp.send("Network.emulateNetworkConditions", slow)
        page.locator("#live .live-start").click()
        page.wait_for_function("() => window.styleheadLiveLog.length >= 50")  # past the first two seconds
        first = page.evaluate("() => window.styleheadLiveLog.length")
        time.sleep(seconds)
        log = page.evaluate("() => window.styleheadLiveLog.map(({index, shown, heard, arrived}) => "
                            "({index, shown, heard, arrived}))")  # fmt: skip
        status = page.locator("#live .live-status").inner_text()
        page.locator("#live .live-stop").click()
        browser.close()
    window = log[first:]
    span = (window[-1]["shown"] - window[0]["shown"]) / 1000
    timed = [entry for entry in window if entry["heard"] is not None]
    delays = [entry["shown"] - entry["heard"] for entry in timed]
    arrivals = [entry["arrived"] - entry["heard"] for entry in timed]
    return {
        "frames_per_second_shown": round((len(window) - 1) / span, 1),
        "frames_skipped": window[-1]["index"] - window[0]["index"] + 1 - len(window),
        "delay_ms": {"median": round(statistics.median(delays)), "p90": round(float(np.percentile(delays, 90)))},
        "arrival_ms": {"median": round(statistics.median(arrivals)), "p90": round(float(np.percentile(arrivals, 90)))},
        "seconds": round(span, 1),
        "rtt_ms": rtt_ms,
        "page_said": status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0, 100])
    parser.add_argument("--wav", type=Path, help="the fake microphone's sound (default: bursts and silences)")
    parser.add_argument("--style", help="a style from the Live tab's list (default: none)")
    parser.add_argument("-o", "--output", type=Path, help="also write the report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wav = args.wav.resolve() if args.wav else bursts_wav(Path(folder) / "bursts.wav")
        with served_app(Path(folder)) as url:
            runs = {f"rtt_{rtt:.0f}": measure(url, wav, args.seconds, rtt, args.style) for rtt in args.rtt_ms}
    report = {
        "runs": runs,
        "sound": args.wav.name if args.wav else "bursts of 0.3 s between silences of 0.5 s",
        "style": args.style or "none",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
