"""The Live tab as a visitor's browser sees it: frames a second shown in the page and how far they trail the sound.

``python app.py`` is served on 127.0.0.1; headless chromium (Debian's) opens the Live tab with a fake microphone
playing a wav in a loop (default: vowel-like bursts of 0.3 s between 0.5 s silences), presses Start and watches
for ``--seconds``. The page itself measures (``live.js``): for every frame shown, the time between the moment the
page captured the frame's own sound and the moment the frame was drawn (microphone → page → server → page →
canvas, including the stated look-ahead of the session). ``--rtt-ms`` adds round-trip latency to every request
with DevTools' network emulation (a distant visitor); several values make one run each. ``--visitors 2`` adds
a run with two pages live at once (the app's default limit). ``server_cpu_cores``: the app's CPU time over the
run's wall time (the browser runs on the same machine here, on a visitor's computer in use). Prints the report (JSON)
and writes it to ``-o`` when given (``docs/reports/live_browser.json`` is this with its defaults).

    python benchmarks/live_browser.py [--seconds 20] [--rtt-ms 0 100] [--visitors 1 2] [--wav examples/speech.wav]
        [--style NAME] [-o docs/reports/live_browser.json]
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
        yield f"http://127.0.0.1:{port}/", process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def open_visitor(browser, url: str, rtt_ms: float, style: str | None):
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
    return page


def summary(log: list[dict]) -> dict:
    span = (log[-1]["shown"] - log[0]["shown"]) / 1000
    timed = [entry for entry in log if entry["heard"] is not None]
    delays = [entry["shown"] - entry["heard"] for entry in timed]
    arrivals = [entry["arrived"] - entry["heard"] for entry in timed]
    return {
        "frames_per_second_shown": round((len(log) - 1) / span, 1),
        "frames_skipped": log[-1]["index"] - log[0]["index"] + 1 - len(log),
        "delay_ms": {"median": round(statistics.median(delays)), "p90": round(float(np.percentile(delays, 90)))},
        "arrival_ms": {"median": round(statistics.median(arrivals)), "p90": round(float(np.percentile(arrivals, 90)))},
        "seconds": round(span, 1),
    }


def cpu_seconds(pid: int) -> float:
    """CPU time the app's process has used (user + system, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, pid: int, wav: Path, seconds: float, rtt_ms: float, style: str | None,
            visitors: int = 1) -> dict:  # fmt: skip
    """``visitors`` pages live at once (each its own session); the first one's figures, and each one's."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        pages = [open_visitor(browser, url, rtt_ms, style) for _ in range(visitors)]
        for page in pages:
            page.locator("#live .live-start").click()
        for page in pages:
            page.wait_for_function("() => window.styleheadLiveLog.length >= 50")  # past the first two seconds
        first = [page.evaluate("() => window.styleheadLiveLog.length") for page in pages]
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        server_cores = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
        read = "() => window.styleheadLiveLog.map(({index, shown, heard, arrived}) => ({index, shown, heard, arrived}))"
        logs = [page.evaluate(read)[start:] for page, start in zip(pages, first, strict=True)]
        status = pages[0].locator("#live .live-status").inner_text()
        for page in pages:
            page.locator("#live .live-stop").click()
        browser.close()
    report = {**summary(logs[0]), "rtt_ms": rtt_ms, "visitors": visitors, "page_said": status,
              "server_cpu_cores": round(server_cores, 2)}  # fmt: skip
    if visitors > 1:
        report["each_visitor"] = [summary(log) for log in logs]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0, 100])
    parser.add_argument("--wav", type=Path, help="the fake microphone's sound (default: bursts and silences)")
    parser.add_argument("--style", help="a style from the Live tab's list (default: none)")
    parser.add_argument("--visitors", type=int, nargs="+", default=[1, 2], help="pages live at once, a run each")
    parser.add_argument("-o", "--output", type=Path, help="also write the report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        wav = args.wav.resolve() if args.wav else bursts_wav(Path(folder) / "bursts.wav")
        with served_app(Path(folder)) as (url, pid):
            runs = {f"rtt_{rtt:.0f}": measure(url, pid, wav, args.seconds, rtt, args.style) for rtt in args.rtt_ms}
            for visitors in (n for n in args.visitors if n > 1):
                runs[f"visitors_{visitors}"] = measure(url, pid, wav, args.seconds, 0, args.style, visitors)
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
