"""End-to-end speed and memory: `python -m stylehead benchmark speed`.

1. The pipeline animates a portrait with 10 s of audio at 512×512, 30 fps (models already loaded,
   as in the app): the real-time factor is seconds of video per second of wall time, and each
   stage's frames/s comes from the pipeline's own timings.
2. The floor, in the same run: the same frames (rendered again into memory beforehand) are only
   encoded, with the same writer and sound. No renderer can beat this on this machine.
3. Peak memory for a 10-minute input: `stylehead animate` in a child process on 10 minutes of
   audio, its resident memory and its encoder's sampled together every 0.2 s.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stylehead.media import SAMPLE_RATE, VideoWriter, read_audio, read_image, write_wav
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

SECONDS = 10.0
FPS = 30
SIZE = 512


def _tiled(audio: np.ndarray, seconds: float) -> np.ndarray:
    return np.resize(audio, int(seconds * SAMPLE_RATE)).astype(np.float32)


def measure_speed(pipeline, image_path: Path, audio_path: Path, work: Path) -> dict:
    """Steps 1 and 2: real-time factor, stage frames/s and the encode-only floor."""

    audio = _tiled(read_audio(audio_path), SECONDS)
    pipeline(image_path, audio[:SAMPLE_RATE], work / "warm.mp4", fps=FPS, size=SIZE)  # warm caches and models
    result = pipeline(image_path, audio, work / "speed.mp4", fps=FPS, size=SIZE)
    frames_count = result.num_frames
    timings = result.timings
    # The same frames, rendered into memory (untimed), then encoded alone.
    renderer = WarpRenderer(Portrait.from_image(read_image(image_path)), RenderConfig(size=SIZE))
    targets = renderer.targets(result.motion)
    frames = [renderer.render(targets.landmarks[i], targets.head[i]).copy() for i in range(frames_count)]
    started = time.perf_counter()
    with VideoWriter(work / "floor.mp4", fps=FPS, audio=audio) as writer:
        for frame in frames:
            writer.write(frame)
    encode_seconds = time.perf_counter() - started
    video_seconds = frames_count / FPS
    encode_floor_fps = frames_count / encode_seconds
    end_to_end_fps = frames_count / timings["total"]
    return {
        "input_seconds": SECONDS,
        "frames": frames_count,
        "size": list(result.size),
        "fps": FPS,
        "real_time_factor": video_seconds / timings["total"],
        "encode_floor_fps": encode_floor_fps,
        "share_of_floor": end_to_end_fps / encode_floor_fps,
        "stage_fps": {
            "motion": frames_count / timings["motion"],
            "render": frames_count / timings["render"],
            "encode_floor": encode_floor_fps,
            "end_to_end": end_to_end_fps,
        },
        "stage_seconds": {key: round(value, 3) for key, value in timings.items()},
    }


def measure_memory(image_path: Path, audio_path: Path, work: Path, minutes: float = 10.0) -> dict:
    """Step 3: peak resident memory (MB) of `stylehead animate` and its encoder on a long input."""
    import psutil

    long_audio = write_wav(work / "long.wav", _tiled(read_audio(audio_path), minutes * 60))
    command = [sys.executable, "-m", "stylehead", "animate", "--image", str(image_path), "--audio", str(long_audio),
               "-o", str(work / "long.mp4"), "--fps", str(FPS), "--size", str(SIZE), "--no-contact-sheet",
               "--max-seconds", str(minutes * 60 + 1)]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watched = psutil.Process(process.pid)
    peak = peak_python = 0
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            sizes = [p.memory_info().rss for p in tree]
        except psutil.Error:
            sizes = []
        if sizes:
            peak, peak_python = max(peak, sum(sizes)), max(peak_python, sizes[0])
        time.sleep(0.2)
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the {minutes:g}-minute run failed: {stderr.decode(errors='replace')[-500:]}")
    elapsed = time.perf_counter() - started
    return {
        "minutes": minutes,
        "peak_memory_mb": peak / 2**20,
        "peak_memory_mb_python": peak_python / 2**20,
        "wall_seconds": elapsed,
        "real_time_factor": minutes * 60 / elapsed,
    }


def run_benchmark(pipeline, image_path: Path, audio_path: Path, long_minutes: float | None = 10.0,
                  progress=None) -> dict:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="stylehead-bench-") as folder:
        work = Path(folder)
        speed = measure_speed(pipeline, image_path, audio_path, work)
        if progress is not None:
            progress(f"10 s input: {speed['real_time_factor']:.2f}x real time")
        memory = measure_memory(image_path, audio_path, work, long_minutes) if long_minutes else None
    summary = {key: speed[key] for key in ("real_time_factor", "encode_floor_fps", "share_of_floor", "stage_fps")}
    summary["peak_memory_mb_10min"] = memory["peak_memory_mb"] if memory and long_minutes == 10.0 else None
    return {"summary": summary, "speed": speed, "memory": memory}
