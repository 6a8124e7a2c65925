"""Videos per minute: one ``batch`` of 12 short jobs against 12 separate ``animate`` calls, in one run.

    python benchmarks/batch_throughput.py [--rounds 2] [--output docs/reports/batch_throughput.json]

Each job animates ``examples/portrait.png`` with 2 s of ``examples/speech.wav`` at 256 px (its own seed).
Every way is timed as a user runs it, a fresh command from its start to its exit (start-up and model
loading included): 12 ``python -m stylehead animate`` calls one after another (with torch's own thread
count, and with 1 thread as ``batch`` uses by default); ``batch`` in 1 and 2
processes, with 1 and 2 torch threads each (``--workers``, ``--threads``); and ``accelerate launch
--multi_gpu --num_processes 2`` (torchrun's 2 processes; on a machine without GPUs they work on the
CPU). The ways take turns within each round, so a busy machine's drift spreads over all of them;
each figure is the fastest of the rounds. The JSON report feeds the README's figures
(``tools/doc_figures.py``).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stylehead.evaluation.report import write_report
from stylehead.media import read_audio, write_wav

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
JOBS = 12
SECONDS = 2.0
BATCH_WAYS = {  # name: (processes started by batch --workers, torch threads per process)
    "batch_1_process_1_thread": (1, 1),
    "batch_1_process_2_threads": (1, 2),
    "batch_2_processes_1_thread": (2, 1),
    "batch_2_processes_2_threads": (2, 2),
}
WAYS = ("separate_calls", "separate_calls_1_thread", *BATCH_WAYS, "accelerate_2_processes")


def environment(way: str) -> dict[str, str]:
    """The commands import this checkout's stylehead, offline; ``separate_calls_1_thread`` caps torch at 1 thread."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    if way == "separate_calls_1_thread":
        env["OMP_NUM_THREADS"] = "1"  # animate has no --threads: torch takes its thread count from here
    return env


def timed(commands: list[list[str]], env: dict[str, str]) -> float:
    """Seconds to run ``commands`` one after another (each must succeed)."""
    started = time.perf_counter()
    for command in commands:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command[:6])} ... failed:\n{result.stderr[:1500]}\n...\n{result.stderr[-1500:]}")
    return time.perf_counter() - started


def commands(way: str, manifest: Path, folder: Path, image: Path, audio: Path) -> list[list[str]]:
    """The command lines of one way of making the 12 videos into ``folder``."""
    python = [sys.executable, "-m", "stylehead"]
    if way.startswith("separate_calls"):
        return [[*python, "animate", "--image", str(image), "--audio", str(audio), "--size", "256", "--seed", str(i),
                 "--no-contact-sheet", "-o", str(folder / f"{i}.mp4")] for i in range(JOBS)]  # fmt: skip
    if way == "accelerate_2_processes":
        launcher = Path(sys.executable).with_name("accelerate")
        return [[str(launcher), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                 "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "stylehead", "batch", str(manifest),
                 "-o", str(folder)]]  # fmt: skip
    workers, threads = BATCH_WAYS[way]
    return [[*python, "batch", str(manifest), "-o", str(folder), "--workers", str(workers), "--threads", str(threads)]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="tries of each way, taking turns (the fastest counts)")
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS), help="the ways to time")
    parser.add_argument("--output", type=Path, help="write the JSON report here (e.g. docs/reports/...)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    tries: dict[str, list[float]] = {way: [] for way in args.ways}
    with tempfile.TemporaryDirectory(prefix="stylehead-batch-bench-") as scratch:
        scratch = Path(scratch)
        image, audio = EXAMPLES / "portrait.png", scratch / "speech_2s.wav"
        write_wav(audio, read_audio(EXAMPLES / "speech.wav")[: int(SECONDS * 16_000)])
        manifest = scratch / "jobs.csv"
        rows = [f"{image},{audio},256,{i}" for i in range(JOBS)]
        manifest.write_text("image,audio,size,seed\n" + "\n".join(rows) + "\n")
        for round_number in range(args.rounds):
            for way in args.ways:
                folder = scratch / "out"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                seconds = timed(commands(way, manifest, folder, image, audio), environment(way))
                made = len([path for path in folder.glob("*.mp4") if not path.name.startswith(".")])
                if made != JOBS:
                    sys.exit(f"{way} made {made} videos, not {JOBS}")
                tries[way].append(seconds)
                print(f"  round {round_number + 1}: {way} {seconds:.1f} s", file=sys.stderr)
    best = {way: min(seconds) for way, seconds in tries.items()}
    per_minute = {way: JOBS * 60.0 / seconds for way, seconds in best.items()}
    base = per_minute.get("separate_calls")
    print(f"{JOBS} videos of {SECONDS:g} s at 256 px, {os.cpu_count()} CPU cores (load {load_before[0]:.1f} before)")
    print(f"{'way':<30}{'seconds':>9}{'videos/min':>12}{'x separate':>12}")
    for way in args.ways:
        ratio = f"{per_minute[way] / base:>12.2f}" if base else ""
        print(f"{way:<30}{best[way]:>9.1f}{per_minute[way]:>12.1f}{ratio}")
    fastest = max((way for way in args.ways if way in BATCH_WAYS), key=per_minute.get, default=None)
    if fastest is not None:
        workers, threads = BATCH_WAYS[fastest]
        print(f"fastest batch: {workers} process(es) x {threads} thread(s)")
    if args.output is not None:
        speedup = {way: value / base for way, value in per_minute.items()} if base else {}
        summary = {"videos_per_minute": per_minute, "seconds": best, "speedup_over_separate_calls": speedup,
                   "fastest_batch": fastest}  # fmt: skip
        report = {"summary": summary, "tries": tries, "jobs": JOBS, "audio_seconds": SECONDS, "size": 256,
                  "cpu_count": os.cpu_count(), "load_average": {"before": load_before, "after": os.getloadavg()},
                  "date": time.strftime("%Y-%m-%d")}  # fmt: skip
        write_report(json.loads(json.dumps(report)), args.output)
        print(f"-> {args.output}")


if __name__ == "__main__":
    main()
