"""Live mode on this CPU: sound-to-mouth delay, sustained frame rate and memory, and lip sync against offline.

    python benchmarks/live_latency.py [--minutes 5] [--sessions 1] [--size 256] [--clips DIR] [-o report.json]

A test signal is fed into a live session in real time, 20 ms at a time, as a microphone delivers it:
every few seconds a click (5 ms of noise), a plosive ("pa": a 10 ms burst, then a 250 ms voiced
vowel) and 3 s of speech (the bundled example's), each after 1.2 s of silence, so their onsets are
known to the sample. For each onset it finds the first emitted frame whose mouth (its drawn inner-lip
gap) has opened by a quarter of what it opens within the next 0.6 s (a click that is not speech may
leave it shut: those are counted), and prints the delay from the
sound to that frame's emission (wall clock; a sound counts from the moment it was made, so the 20 ms
packets count too). It also prints how late each frame is behind its own audio, the frames per
second emitted over the whole run and its slowest 10 s, and the process's memory each minute.
``--sessions 2`` runs two sessions at once, each fed its own signal. ``--clips`` (a folder of
talking videos, e.g. the validation speakers') also scores lip sync offline and live
(``stylehead evaluate lipsync --live``'s figures), e.g. ``runs/validation_clips``.

The head motion and blinks are the default ones; the delay is read from the landmarks each frame was
drawn with, which is what the picture shows.
"""

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from stylehead import StyleHeadPipeline
from stylehead.live import LiveSession
from stylehead.live.sources import PACKET
from stylehead.media import VIDEO_SUFFIXES, read_audio

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RATE = 16_000
GAP = 1.2  # seconds of silence before each event


def test_signal(minutes: float, speech: np.ndarray, seed: int) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """(samples, [(kind, onset sample)]): clicks, plosives and speech after silences, for ``minutes``."""
    rng = np.random.default_rng(seed)
    parts, events, length = [], [], 0
    t = np.arange(int(0.25 * RATE)) / RATE
    vowel = sum(np.sin(2 * np.pi * 140 * k * t) / k * np.exp(-((140 * k - f) ** 2) / (2 * 200**2))
                for k in range(1, 30) for f in (700, 1200))  # fmt: skip
    vowel = (0.3 * vowel / np.abs(vowel).max() * np.hanning(len(t)) ** 0.3).astype(np.float32)
    total = int(minutes * 60 * RATE)
    while length < total:
        for kind in ("click", "plosive", "speech"):
            silence = np.zeros(int(GAP * RATE), np.float32)
            if kind == "click":
                sound = (rng.standard_normal(int(0.005 * RATE)) * 0.5).astype(np.float32)
            elif kind == "plosive":
                sound = np.concatenate([(rng.standard_normal(int(0.01 * RATE)) * 0.3).astype(np.float32), vowel])
            else:
                start = int(rng.integers(0, max(1, len(speech) - 3 * RATE)))
                sound = speech[start : start + 3 * RATE]
                loud = np.flatnonzero(np.abs(sound) > 0.05 * np.abs(sound).max())
                sound = sound[loud[0] :] if len(loud) else sound  # the onset is the first sound, not a pause
            events.append((kind, length + len(silence)))
            parts += [silence, sound]
            length += len(silence) + len(sound)
    return np.concatenate(parts)[:total], [(k, s) for k, s in events if s < total - RATE]


@dataclass
class Run:
    """What one session emitted: per frame, its audio time, its emission (wall, from the start) and mouth gap."""

    times: list[float] = field(default_factory=list)
    emitted: list[float] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MB resident)
    behind: float = 0.0  # the most the feeder fell behind its schedule (s)


def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def feed(session: LiveSession, signal: np.ndarray, run: Run, start: float) -> None:
    """Push ``signal`` in real time into ``session`` and record every frame it emits.

    A packet arrives once its last sample has been recorded; when the session is busy, the packets that
    arrived meanwhile are pushed together, as a reader draining a sound card's queue does.
    """
    next_memory = 0.0
    first = 0
    while first < len(signal):
        wait = start + (first + PACKET) / RATE - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        run.behind = max(run.behind, -wait)
        arrived = int((time.perf_counter() - start) * RATE) // PACKET * PACKET  # every packet recorded by now
        stop = min(len(signal), max(first + PACKET, arrived))
        frames = session.push(signal[first:stop])
        first = stop
        now = time.perf_counter() - start
        for frame in frames:
            interocular = np.linalg.norm(frame.landmarks[36:42].mean(0) - frame.landmarks[42:48].mean(0))
            run.times.append(frame.time)
            run.emitted.append(now)
            run.gaps.append(float(np.linalg.norm(frame.landmarks[66] - frame.landmarks[62]) / interocular))
        if now >= next_memory:
            run.memory.append((now, resident_mb()))
            next_memory += 10.0
    session.finish()


def onset_delays(run: Run, events: list[tuple[str, int]]) -> dict[str, list[float]]:
    """Per kind of event: the delay from each onset to the first emitted frame whose mouth has opened."""
    times, emitted, gaps = (np.asarray(v) for v in (run.times, run.emitted, run.gaps))
    delays: dict[str, list[float]] = {}
    for kind, sample in events:
        onset = sample / RATE
        before = gaps[(times > onset - 0.8) & (times < onset - 0.3)]
        # the mouth may start a little before the sound; the next event's comes 1.2 s later (and starts early)
        after = (times >= onset - 0.5) & (times < onset + 0.6)
        if len(before) == 0 or not after.any():
            continue
        rest, peak = float(np.median(before)), float(gaps[after].max())
        if peak - rest < 0.02:  # the mouth did not open for this sound
            delays.setdefault(kind + "_mouth_shut", []).append(np.nan)
            continue
        opened = np.flatnonzero(after & (gaps > rest + 0.25 * (peak - rest)))
        delays.setdefault(kind, []).append(float(emitted[opened[0]] - onset))
    return delays


def summarise(run: Run, events: list[tuple[str, int]], seconds: float) -> dict:
    """The figures of one session (what :func:`report` prints)."""
    times, emitted = np.asarray(run.times), np.asarray(run.emitted)
    delays = {}
    for kind, values in sorted(onset_delays(run, events).items()):
        values = np.asarray(values)
        delays[kind] = {"events": len(values)} if np.isnan(values).all() else {
            "events": len(values), "median": float(np.median(values)), "p90": float(np.percentile(values, 90)),
            "max": float(values.max())}  # fmt: skip
    late = emitted - times
    windows = np.floor(emitted[emitted < seconds] / 10).astype(int)
    per_window = np.bincount(windows)[1:-1] / 10 if windows.size > 0 else np.zeros(0)
    if per_window.size == 0:  # a run under 30 s has no whole 10 s window between its first and last
        per_window = np.array([len(times) / seconds])
    memory = {"start_mb": run.memory[0][1], "end_mb": run.memory[-1][1], "end_minutes": run.memory[-1][0] / 60}
    later = [mb for t, mb in run.memory if t >= 60]
    if later:
        memory["after_1_minute_mb"] = later[0]
    return {"frames": len(times), "seconds": seconds, "feeder_behind_s": run.behind, "sound_to_mouth_s": delays,
            "frame_behind_audio_s": {"median": float(np.median(late)), "p99": float(np.percentile(late, 99)),
                                     "max": float(late.max())},
            "fps": {"overall": len(times) / seconds, "slowest_10s": float(per_window.min())},
            "memory": memory}  # fmt: skip


def report(label: str, figures: dict) -> None:
    print(f"{label}: {figures['frames']} frames in {figures['seconds']:.0f} s of audio; the feeder fell behind by at "
          f"most {figures['feeder_behind_s'] * 1000:.0f} ms")  # fmt: skip
    for kind, values in figures["sound_to_mouth_s"].items():
        if "median" not in values:
            print(f"  {kind}: {values['events']} events")
            continue
        print(f"  sound to mouth, {kind}: median {values['median']:.2f} s, 90% {values['p90']:.2f} s, "
              f"max {values['max']:.2f} s ({values['events']} events)")  # fmt: skip
    late, fps, memory = figures["frame_behind_audio_s"], figures["fps"], figures["memory"]
    print(f"  each frame behind its audio: median {late['median']:.2f} s, 99% {late['p99']:.2f} s, "
          f"max {late['max']:.2f} s")  # fmt: skip
    print(f"  frames per second emitted: {fps['overall']:.2f} overall, slowest 10 s {fps['slowest_10s']:.1f}")
    if "after_1_minute_mb" in memory:
        print(f"  resident memory: {memory['start_mb']:.0f} MB at start, {memory['after_1_minute_mb']:.0f} MB after "
              f"1 min, {memory['end_mb']:.0f} MB at {memory['end_minutes']:.1f} min (the whole process)")  # fmt: skip


def lipsync(pipe: StyleHeadPipeline, clips: Path) -> dict:
    from stylehead.evaluation.lipsync import LoudnessBaseline, evaluate_lipsync
    from stylehead.live.motion_stream import live_mouth_and_eyes

    model = pipe.motion_model
    videos = sorted(p for p in clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    result = evaluate_lipsync(videos, model, LoudnessBaseline.from_pretrained(),
                              live=lambda audio: live_mouth_and_eyes(model, audio))  # fmt: skip
    offline, live = result["summary"]["model"], result["summary"]["live"]
    print(f"lip sync on {len(result['clips'])} clips of {clips}: mouth_corr offline {offline['mouth_corr']:.3f}, "
          f"live {live['mouth_corr']:.3f} (live - offline {live['mouth_corr'] - offline['mouth_corr']:+.3f}); "
          f"amplitude offline {offline['amplitude']:.2f}, live {live['amplitude']:.2f}")  # fmt: skip
    return {"clips": len(result["clips"]), "offline": offline, "live": live}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--sessions", type=int, default=1, help="live sessions fed at once")
    parser.add_argument("--size", default="256", choices=("256", "512"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (stylehead live uses 1)")
    parser.add_argument("--clips", type=Path, help="also score lip sync offline and live on these videos")
    parser.add_argument("-o", "--output", type=Path, help="also write the figures to this JSON report")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pipe = StyleHeadPipeline.from_pretrained()
    speech = read_audio(EXAMPLES / "speech.wav")
    signals = [test_signal(args.minutes, speech, seed) for seed in range(args.sessions)]
    runs = [Run() for _ in signals]
    sessions = [pipe.live_session(EXAMPLES / "portrait.png", size=args.size, fps=25) for _ in signals]
    start = time.perf_counter() + 0.5
    threads = [threading.Thread(target=feed, args=(session, signal, run, start))
               for session, (signal, _), run in zip(sessions, signals, runs, strict=True)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"{args.sessions} live session(s) at {args.size}x{args.size}, 25 fps, {args.threads} torch threads, "
          f"{args.minutes:g} min of audio each, fed in real time in {PACKET * 1000 // RATE} ms packets")  # fmt: skip
    figures = {"sessions": args.sessions, "size": int(args.size), "fps": 25, "threads": args.threads,
               "minutes": args.minutes, "lookahead_s": sessions[0].lookahead_seconds, "summary": {}}  # fmt: skip
    for i, ((signal, events), run) in enumerate(zip(signals, runs, strict=True)):
        figures["summary"][f"session_{i + 1}"] = summarise(run, events, len(signal) / RATE)
        report(f"session {i + 1}", figures["summary"][f"session_{i + 1}"])
    if args.clips is not None:
        figures["lipsync"] = lipsync(pipe, args.clips)
    if args.output is not None:
        args.output.write_text(json.dumps(figures, indent=1) + "\n")
        print(f"-> {args.output}")


if __name__ == "__main__":
    main()
