"""Sustained load on the web app: many requests from concurrent gradio_client visitors.

The app runs as a visitor would reach it (``python app.py`` in its own process, on 127.0.0.1, its
temporary files in a fresh folder). Each visitor sends its share of the requests one after another,
each with the example portrait and a clip of the example speech of its own length, so that every
output can be checked against its input: an mp4 with sound as long as that request's audio (to the
frame). A request is either completed or refused with gradio's "queue is full" message; anything
else is a failure. While it runs, the memory of the app's whole process tree (python and its
ffmpeg encoders) and the bytes in its temporary folder are sampled.

    python benchmarks/app_load.py [--requests 20] [--clients 4] [--queue-size 16] [--concurrency 1]
"""

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
QUEUE_FULL = "queue is full"


@dataclass
class Peaks:
    """The largest values seen by the sampler."""

    memory_bytes: int = 0  # resident memory of the app's process and all its children
    temp_bytes: int = 0  # bytes under the app's temporary folder
    series: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds, memory, temp bytes)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for an app started on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # removed while walking
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def tree_memory(pid: int) -> int:
    import psutil

    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def start_app(port: int, temp: Path, queue_size: int, concurrency: int) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "TMPDIR": str(temp),
           "GRADIO_TEMP_DIR": str(temp / "gradio"), "STYLEHEAD_QUEUE_SIZE": str(queue_size),
           "STYLEHEAD_CONCURRENCY": str(concurrency), "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1"}  # fmt: skip
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.time() + 240
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited with code {process.returncode}") from None
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the app did not start within 4 minutes")


def make_inputs(folder: Path, count: int) -> list[tuple[Path, float]]:
    """One clip of the example speech per request, each of its own length (0.8 s, 0.9 s, ...: 2.7 s for the 20th)."""
    from stylehead.media import read_audio, write_wav

    speech = read_audio(EXAMPLES / "speech.wav")
    clips = []
    for index in range(count):
        seconds = round(0.8 + 0.1 * index, 2)
        clips.append((write_wav(folder / f"request {index:02d}.wav", speech[: int(seconds * 16000)]), seconds))
    return clips


def run_load(requests: int = 20, clients: int = 4, queue_size: int = 16, concurrency: int = 1) -> dict:
    """Send ``requests`` from ``clients`` concurrent visitors; returns the figures and each request's outcome."""
    from gradio_client import Client, handle_file

    from stylehead.media import probe

    with tempfile.TemporaryDirectory(prefix="stylehead-load-") as scratch:
        scratch = Path(scratch)
        (scratch / "inputs").mkdir()
        (scratch / "app").mkdir()
        inputs = make_inputs(scratch / "inputs", requests)
        port = free_port()
        started = time.perf_counter()
        process = start_app(port, scratch / "app", queue_size, concurrency)
        startup = time.perf_counter() - started
        peaks, done = Peaks(), threading.Event()

        def sample() -> None:
            t0 = time.perf_counter()
            while not done.is_set():
                memory, temp = tree_memory(process.pid), folder_bytes(scratch / "app")
                peaks.memory_bytes, peaks.temp_bytes = max(peaks.memory_bytes, memory), max(peaks.temp_bytes, temp)
                peaks.series.append((round(time.perf_counter() - t0, 1), memory, temp))
                time.sleep(0.2)

        def visitor(share: list[tuple[Path, float]]) -> list[dict]:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            outcomes = []
            for audio, seconds in share:
                begun = time.perf_counter()
                row = {"audio": audio.name, "seconds": seconds}
                try:
                    video, *_ = client.predict(
                        handle_file(str(EXAMPLES / "portrait.png")), handle_file(str(audio)), "none (default motion)",
                        None, 1.0, 1.0, 17, False, 25, "256", "crop", 0, False, api_name="/animate",
                    )  # fmt: skip
                    path = video["video"] if isinstance(video, dict) else video
                    info = probe(path)
                    # to the frame (25 fps): a neighbour's output would be 0.1 s off
                    matches = info.has_video and info.has_audio and abs(info.duration - seconds) < 0.05
                    row.update(outcome="completed" if matches else "wrong output", duration=info.duration)
                except Exception as err:  # gradio_client raises its own error types; classify by message
                    message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                    row.update(outcome="refused" if QUEUE_FULL in message.lower() else "failed", message=message)
                row["latency"] = round(time.perf_counter() - begun, 2)
                outcomes.append(row)
            return outcomes

        sampler = threading.Thread(target=sample)
        sampler.start()
        began = time.perf_counter()
        try:
            with ThreadPoolExecutor(clients) as pool:
                shares = [inputs[i::clients] for i in range(clients)]
                rows = [row for outcomes in pool.map(visitor, shares) for row in outcomes]
            wall = time.perf_counter() - began
            time.sleep(1.0)
            temp_after = folder_bytes(scratch / "app")
        finally:
            done.set()
            sampler.join()
            os.killpg(process.pid, 15)
            process.wait(timeout=30)
        kept = sorted(p.name for p in (scratch / "app" / "stylehead-app").glob("request-*"))
    counts = {kind: sum(row["outcome"] == kind for row in rows) for kind in ("completed", "refused", "failed",
                                                                             "wrong output")}  # fmt: skip
    latencies = sorted(row["latency"] for row in rows if row["outcome"] == "completed")
    return {
        "requests": requests, "clients": clients, "queue_size": queue_size, "concurrency": concurrency,
        "counts": counts, "startup_seconds": round(startup, 1), "wall_seconds": round(wall, 1),
        "latency_median": latencies[len(latencies) // 2] if latencies else None,
        "latency_max": latencies[-1] if latencies else None,
        "peak_memory_mb": round(peaks.memory_bytes / 2**20), "peak_temp_mb": round(peaks.temp_bytes / 2**20, 1),
        "temp_after_mb": round(temp_after / 2**20, 1), "request_folders_kept": len(kept),
        "refusal_messages": sorted({row["message"] for row in rows if row["outcome"] == "refused"}),
        "failures": [row for row in rows if row["outcome"] in ("failed", "wrong output")],
        "rows": rows,
    }  # fmt: skip


def summary(report: dict) -> str:
    counts = report["counts"]
    lines = [
        f"{report['requests']} requests from {report['clients']} concurrent clients "
        f"(queue size {report['queue_size']}, {report['concurrency']} job(s) at once): "
        f"{counts['completed']} completed with the right output, {counts['refused']} refused (queue full), "
        f"{counts['failed'] + counts['wrong output']} failed",
        f"app start {report['startup_seconds']} s; all requests in {report['wall_seconds']} s; latency of a "
        f"completed request median {report['latency_median']} s, max {report['latency_max']} s",
        f"peak memory of the app's process tree {report['peak_memory_mb']} MB; temporary files peak "
        f"{report['peak_temp_mb']} MB, {report['temp_after_mb']} MB after ({report['request_folders_kept']} "
        "request folders kept)",
    ]  # fmt: skip
    lines += [f"refused with: {message}" for message in report["refusal_messages"]]
    lines += [f"FAILED: {row}" for row in report["failures"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--queue-size", type=int, default=16, help="STYLEHEAD_QUEUE_SIZE of the app")
    parser.add_argument("--concurrency", type=int, default=1, help="STYLEHEAD_CONCURRENCY of the app")
    parser.add_argument("--json", type=Path, help="also write the whole report here")
    args = parser.parse_args()
    report = run_load(args.requests, args.clients, args.queue_size, args.concurrency)
    print(summary(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    sys.exit(0 if not report["failures"] else 1)


if __name__ == "__main__":
    main()
