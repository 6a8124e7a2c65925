"""The ``stylehead`` command line: ``python -m stylehead <command> ...``.

User mistakes end with one line on stderr, ``error: <what is wrong and what to do>``, and exit
code 2; there is no traceback for them (argparse's own complaints too: no usage block). Every number
a flag takes is range-checked before any work. Ctrl-C and SIGTERM (a container stopping) both stop
the work the same way: partial files and the encoder are removed, nothing is left at the output.
Anything else is a bug and is reported as one.
"""

import argparse
import functools
import inspect
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from stylehead.errors import StyleheadError
from stylehead.options import add_arguments, bounded_number, from_arguments

EXIT_USER_ERROR = 2
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so that every ``finally`` and ``with`` cleans up."""


def _terminate(signum, frame) -> None:
    raise Terminated


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors as one ``error: ...`` line (exit 2) rather than a usage block."""

    def error(self, message: str) -> None:
        sentence = message[:1].upper() + message[1:].rstrip(".")
        self.exit(EXIT_USER_ERROR, f"error: {sentence}; see {self.prog} --help.\n")


class _ProgressBar:
    """A tqdm bar on a terminal, nothing otherwise."""

    def __init__(self, total: int | None, description: str):
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit="frame", leave=False)

    def advance(self, count: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def frames(self, done: int, total: int) -> None:
        """A ``progress(done, total)`` callback."""
        if self._bar is not None:
            self._bar.total = total
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _StageBars:
    """One progress bar per stage for ``progress(stage, done, total)`` callbacks (learning a style)."""

    def __init__(self, description: str):
        self.description = description
        self._stage: str | None = None
        self._bar: _ProgressBar | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage, self._bar = stage, _ProgressBar(total, f"{self.description}: {stage}")
        self._bar.frames(done, total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def cmd_track(args: argparse.Namespace) -> None:
    """Track the face in a video (or a still image) and save landmarks, pose and openings."""
    import numpy as np

    from stylehead.face import FaceTracker, TrackerConfig, find_face
    from stylehead.face.tracking import finish_track
    from stylehead.media import IMAGE_SUFFIXES, SAMPLE_RATE, VideoReader, check_writable, read_audio, read_image

    source = Path(args.input)
    output = check_writable(args.output, overwrite=args.overwrite, inputs=(source,), suffixes=(".npz",))
    config = TrackerConfig(smooth=not args.no_smooth)
    audio = read_audio(source) if args.with_audio else None  # before tracking: fail fast without sound
    if source.suffix.lower() in IMAGE_SUFFIXES:
        image = read_image(source)
        face = find_face(image, source.name)
        if face.num_faces > 1:
            print(f"note: {face.num_faces} faces found in {source.name}; tracking the largest.", file=sys.stderr)
        from stylehead.face.pose import estimate_pose

        pose, _ = estimate_pose(face.landmarks, (image.shape[1], image.shape[0]))
        track = finish_track(
            face.landmarks[None], pose[None], np.ones(1, bool), 0.0, (image.shape[1], image.shape[0]),
            TrackerConfig(smooth=False),
        )  # fmt: skip
    else:
        reader = VideoReader(source)
        bar = _ProgressBar(reader.num_frames, f"tracking {source.name}")
        try:
            track = FaceTracker(config).track(reader, reader.fps, progress=bar.advance, name=source.name)
        finally:
            bar.close()
    if audio is not None:
        track.audio, track.sample_rate = audio, SAMPLE_RATE
    track.save(output, args.overwrite)
    if len(track) == 1:
        print(f"{source.name}: face found, 68 landmarks and head pose -> {output}")
        return
    share = 100.0 * track.valid.mean()
    print(f"{source.name}: {len(track)} frames at {track.fps:g} fps, face found in {share:.1f}% -> {output}")


def cmd_motion(args: argparse.Namespace) -> None:
    """Generate motion from audio: an .npz of landmarks and pose, or an .mp4 of the facial map with sound."""
    import numpy as np

    from stylehead.media import check_writable, read_audio
    from stylehead.motion.audio_to_motion import AudioToMotion
    from stylehead.motion.blinks import BlinkConfig
    from stylehead.motion.data import MotionControls, resample_motion
    from stylehead.render.facial_map_video import posed_landmarks, write_landmark_video

    source = Path(args.audio)
    output = check_writable(args.output, overwrite=args.overwrite, inputs=(source,), suffixes=(".mp4", ".npz"))
    audio = read_audio(source, max_seconds=args.max_seconds)
    if np.abs(audio).max() < 1e-4:
        print(f"note: {source.name} is silent; the face will stay still.", file=sys.stderr)
    options = from_arguments(args)
    controls = MotionControls(
        mouth_scale=options.mouth_scale, head_motion_scale=options.head_motion_scale, still=options.still,
        seed=options.seed, temperature=options.temperature,
        blinks=BlinkConfig(rate_per_minute=options.blink_rate) if options.blink_rate is not None else None,
    )  # fmt: skip
    motion = AudioToMotion.from_pretrained(args.weights)(audio, controls)
    if output.suffix.lower() == ".mp4":
        write_landmark_video(motion, source, output, fps=args.fps, overwrite=args.overwrite)
    else:
        moved = resample_motion(motion, args.fps)
        from stylehead.media.files import atomic_output

        with atomic_output(output, suffix=".npz", overwrite=args.overwrite) as partial, open(partial, "wb") as handle:
            np.savez_compressed(handle, landmarks=posed_landmarks(moved, 512), displacement=moved.displacement,
                                points=np.array(moved.points), pose=moved.pose, blink=moved.blink,
                                fps=np.float32(args.fps))  # fmt: skip
    print(f"{source.name}: {len(audio) / 16000:.1f} s of audio -> {output}")


def cmd_animate(args: argparse.Namespace) -> None:
    """Animate a portrait with audio: an H.264 + AAC mp4 of the face speaking or singing it."""
    from stylehead.pipeline import StyleHeadPipeline

    options = from_arguments(args)  # checked before the models load
    pipeline = StyleHeadPipeline.from_pretrained(args.weights, generator=args.generator)
    bar = _ProgressBar(None, f"animating {Path(args.image).name}")
    stages = _StageBars("learning the style")
    try:
        result = pipeline(
            args.image, args.audio, args.output, options, style=args.style, style_progress=stages,
            max_seconds=args.max_seconds, overwrite=args.overwrite, max_output_pixels=args.max_output_pixels or None,
            contact_sheet=not args.no_contact_sheet, progress=bar.frames,
        )  # fmt: skip
    finally:
        stages.close()
        bar.close()
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    seconds = result.num_frames / result.fps
    width, height = result.size
    speed = seconds / max(result.timings["total"], 1e-9)
    print(f"{result.video}: {seconds:.1f} s, {width}x{height} at {result.fps:g} fps, "
          f"made in {result.timings['total']:.1f} s ({speed:.2f}x real time)")  # fmt: skip
    if result.contact_sheet is not None:
        print(f"contact sheet: {result.contact_sheet}")


def cmd_live(args: argparse.Namespace) -> None:
    """Live: the portrait speaks what the microphone (or --audio, played in real time) hears, 0.5 s behind it.

    The frames go to an mp4 as they are made (-o), and/or as raw RGB frames on stdout (--raw), which
    a player or a virtual camera can read, e.g. `... --raw | ffplay -f rawvideo -pixel_format rgb24
    -video_size 256x256 -framerate 25 -`, or ffmpeg into a v4l2loopback device. Ctrl-C ends a
    microphone session and keeps what was made.
    """
    import time

    import numpy as np

    from stylehead.live.recording import LiveRecording
    from stylehead.live.sources import file_packets, microphone_packets
    from stylehead.media import check_writable
    from stylehead.pipeline import StyleHeadPipeline

    if args.output is None and not args.raw:
        raise StyleheadError("Say where the frames go: -o OUT.mp4 (written as they are made), --raw (RGB frames on "
                             "stdout, for a player or a virtual camera), or both.")  # fmt: skip
    if args.raw and sys.stdout.isatty():
        raise StyleheadError("--raw writes video frames to stdout; pipe it into a player (see --help), not a terminal.")
    import torch

    # a live session's models run on a few frames at a time: one thread is faster than two, and far faster
    # when the cores are busy with other work (docs/live.md)
    torch.set_num_threads(1)
    options = from_arguments(args)
    inputs = (Path(args.image),) + ((Path(args.audio),) if args.audio else ())
    output = check_writable(args.output, args.overwrite, inputs, (".mp4",)) if args.output else None
    pipeline = StyleHeadPipeline.from_pretrained(args.weights)
    session = pipeline.live_session(args.image, options, style=args.style)
    for note in session.notes:
        print(f"note: {note}", file=sys.stderr)
    packets = (file_packets(args.audio, paced=not args.no_pace, max_seconds=args.max_seconds) if args.audio
               else microphone_packets(args.max_seconds))  # fmt: skip
    width, height = session.size
    print(f"live: {width}x{height} at {session.fps:g} fps, each frame {session.lookahead_seconds:.2f} s behind its "
          f"sound; {'playing ' + Path(args.audio).name if args.audio else 'listening (Ctrl-C ends)'}", file=sys.stderr)
    recording = LiveRecording(output, session.fps, args.overwrite) if output is not None else None
    late: list[float] = []
    started = time.perf_counter()

    def emit(frames) -> None:
        now = time.perf_counter() - started
        for frame in frames:
            late.append(now - frame.time)
            if recording is not None:
                recording.write(frame)
            if args.raw:
                sys.stdout.buffer.write(frame.image.tobytes())
        if args.raw and frames:
            sys.stdout.buffer.flush()

    try:
        try:
            for packet in packets:
                emit(session.push(packet))
        except KeyboardInterrupt:
            if args.audio:  # a file that is stopped is not finished: nothing is kept
                raise
        emit(session.finish())
        if recording is not None:
            recording.commit()
    finally:
        if recording is not None:
            recording.close()
    if late:
        behind = np.asarray(late) if not args.no_pace else None
        timing = (f"; frames came {np.median(behind):.2f} s (median) to {behind.max():.2f} s (most) after their sound"
                  if behind is not None else "")  # fmt: skip
        print(f"{len(late)} frames{timing}" + (f" -> {output}" if output else ""), file=sys.stderr)


def cmd_batch(args: argparse.Namespace) -> None:
    """Animate every job of a manifest (CSV or JSON Lines: image, audio, optional style, output and controls), the
    models loaded once. A job that fails is recorded and the batch goes on; running the same command again
    makes only what is missing. Under `accelerate launch` the launched processes share the jobs."""
    from stylehead.batch import run

    options = from_arguments(args)  # checked before the models load
    try:
        summary = run(args.manifest, args.output_dir, options=options, workers=args.workers, weights=args.weights,
                      generator=args.generator, overwrite=args.overwrite, contact_sheet=args.contact_sheets,
                      max_seconds=args.max_seconds, threads=args.threads)  # fmt: skip
    except Terminated:
        raise Terminated("stopped (SIGTERM); the videos already made are kept: run the same command again to make "
                         "the rest.") from None  # fmt: skip
    if not summary.files:  # not the main process: it prints the summary
        return
    for job in summary.failed():
        print(f"failed: job {job.number} ({Path(job.image).name if job.image else 'no image'}): {job.error}",
              file=sys.stderr)  # fmt: skip
    counts = summary.counts
    busy = f", {counts['busy']} being made by another run" if counts["busy"] else ""
    processes = f"{summary.processes} process{'es' if summary.processes > 1 else ''}"
    print(f"{len(summary.jobs)} jobs in {summary.seconds:.1f} s ({processes}): {counts['done']} made, "
          f"{counts['skipped']} already made, {counts['failed']} failed{busy} -> {summary.files[0]}")  # fmt: skip


def cmd_evaluate_lipsync(args: argparse.Namespace) -> None:
    """Score lip sync on real clips: the model against the loudness and static baselines."""

    from stylehead.errors import StyleheadError
    from stylehead.evaluation.lipsync import TABLE, LoudnessBaseline, evaluate_lipsync
    from stylehead.evaluation.report import format_table, write_report
    from stylehead.media import check_writable
    from stylehead.motion.audio_to_motion import AudioToMotion

    folder = Path(args.clips)
    output = check_writable(args.output, overwrite=args.overwrite, suffixes=(".json",))
    clips = _video_folder(folder)
    model = AudioToMotion.from_pretrained(args.weights)
    if args.style is not None:  # the generators as the style changes them: lip sync must survive a style
        from stylehead.motion.data import MotionControls
        from stylehead.style.library import load_style, styled
        from stylehead.style.models import StyleModels

        pack = load_style(args.style, StyleModels.from_pretrained(args.weights, motion=model))
        model, _ = styled(model, pack, MotionControls(), strength=args.style_strength)
    live = None
    if args.live:  # the same generators run as a live session runs them, 20 ms of audio at a time
        from stylehead.live.motion_stream import live_mouth_and_eyes

        live = functools.partial(live_mouth_and_eyes, model)
    report = evaluate_lipsync(clips, model, LoudnessBaseline.from_pretrained(args.weights), progress=lambda row: print(
        f"  {row['clip']}: mouth_corr model {row['model']['mouth_corr']:.3f}, "
        + (f"live {row['live']['mouth_corr']:.3f}, " if live else "")
        + f"loudness {row['loudness']['mouth_corr']:.3f}", file=sys.stderr), live=live)  # fmt: skip
    if not report["clips"]:
        raise StyleheadError(f"None of the {len(clips)} videos in {folder} could be scored (no sound or no face).")
    print(format_table(report["summary"], list(report["summary"]), TABLE))
    print("amplitude: generated/real spread of the mouth opening; closure: generated/real 5% quantile of it "
          "(medians over clips; 1 = like the real mouth)")
    print(f"{len(report['clips'])} clips scored, {len(report['skipped'])} skipped -> {output}")
    write_report(report, output, args.overwrite)


def cmd_evaluate_renderer(args: argparse.Namespace) -> None:
    """Neural vs warp renderer on held-out frames: L1, PSNR, SSIM over the face and the mouth, and CPBD."""

    from stylehead.errors import StyleheadError
    from stylehead.evaluation.renderer import TABLE, evaluate_renderer
    from stylehead.evaluation.report import format_table, write_report
    from stylehead.media import check_writable
    from stylehead.pipeline import load_generator

    folder = Path(args.data)
    clips = sorted(folder.glob("*.npz")) if folder.is_dir() else []
    if not clips:
        raise StyleheadError(f"{folder} holds no prepared clips; make them with train/prepare_render_data.py.")
    output = check_writable(args.output, overwrite=args.overwrite, suffixes=(".json",))
    generators = {}
    for path in args.generator or []:
        name = "neural" if len(args.generator) == 1 else f"neural:{Path(path).parent.name or Path(path).name}"
        generators[name] = load_generator(None, path)
    mapping = load_generator(None, args.style_mapping, in_channels=4) if args.style_mapping else None

    def show(row: dict) -> None:
        scores = ", ".join(f"{name} {row[name]['mouth_l1']:.2f}" for name in ["warp", *generators])
        print(f"  {row['name']}: mouth L1 {scores}", file=sys.stderr)

    report = evaluate_renderer(clips, generators, mapping, device=args.device, progress=show)
    rows = {**report["summary"], **{f"ISP {name}": m for name, m in report.get("style_mapping", {}).items()}}
    print(format_table(rows, ["warp", *generators, "real", *(r for r in rows if r.startswith("ISP "))], TABLE,
                       "renderer"))  # fmt: skip
    print(f"mouth region winner: {report['mouth_winner']}; {len(clips)} clips on {report['device']} -> {output}")
    write_report(report, output, args.overwrite)


def _video_folder(folder: Path, what: str = "videos with sound") -> list[Path]:
    from stylehead.errors import StyleheadError
    from stylehead.media import VIDEO_SUFFIXES

    if not folder.is_dir():
        raise StyleheadError(f"{folder} is not a folder; give a folder of {what}.")
    clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not clips:
        raise StyleheadError(f"{folder} holds no videos ({', '.join(VIDEO_SUFFIXES)}).")
    return clips


def cmd_evaluate_talking_head(args: argparse.Namespace) -> None:
    """The paper's Table 2 on real clips: animate each clip's first frame with its own audio and compare."""

    from stylehead.errors import StyleheadError
    from stylehead.evaluation.report import format_table, write_report
    from stylehead.evaluation.talking_head import METHODS, TABLE, evaluate_talking_head
    from stylehead.media import check_writable
    from stylehead.pipeline import StyleHeadPipeline

    output = check_writable(args.output, overwrite=args.overwrite, suffixes=(".json",))
    clips = _video_folder(Path(args.clips))
    pipeline = StyleHeadPipeline.from_pretrained(args.weights)
    report = evaluate_talking_head(
        clips, pipeline, seed=args.seed, mouth_scale=args.mouth_scale, head_motion_scale=args.head_motion_scale,
        progress=lambda row: print(f"  {row['clip']}: {row['frames']} frames, LMD model {row['model']['lmd']:.2f}, "
                                   f"static {row['static']['lmd']:.2f}", file=sys.stderr),
    )  # fmt: skip
    if not report["clips"]:
        raise StyleheadError(f"None of the {len(clips)} videos in {args.clips} could be scored (no sound or no face).")
    print(format_table(report["summary"], [*METHODS, "real", "commanded"], TABLE))
    print(f"commanded: the landmarks the renderer was given; their mouth opening spreads "
          f"{report['summary']['mouth_opening_std_ratio']:.2f}x the real one's (median over clips)")  # fmt: skip
    print(f"{len(report['clips'])} clips scored, {len(report['skipped'])} skipped -> {output}")
    write_report(report, output, args.overwrite)


def cmd_learn_style(args: argparse.Namespace) -> None:
    """Learn the style of a reference video (head motion, blinks, mouth) into a style pack."""
    import time

    from stylehead.media import check_readable, check_writable
    from stylehead.style.fine_tune import FineTuneConfig
    from stylehead.style.learn import LearnStyleConfig, learn_style
    from stylehead.style.models import StyleModels

    video = check_readable(args.video)
    output = check_writable(args.output, overwrite=args.overwrite, inputs=(video,), suffixes=(".safetensors",))
    started = time.perf_counter()
    models = StyleModels.from_pretrained(args.weights)
    config = LearnStyleConfig(max_seconds=args.max_seconds)
    if args.steps is not None:
        config.fine_tune = FineTuneConfig(critic_steps=max(0, args.steps // 2), steps=max(0, args.steps))
    stages = _StageBars(f"learning {video.name}")
    try:
        pack = learn_style(video, models, name=args.name, config=config, progress=stages)
    finally:
        stages.close()
    pack.licence = args.licence or ""
    from stylehead.media.files import atomic_output

    with atomic_output(output, suffix=".safetensors", overwrite=args.overwrite) as partial:
        pack.save(partial)
    std = ", ".join(f"{v:.1f}" for v in pack.pose_std[:3])
    print(f"{video.name}: style {pack.name!r} in {time.perf_counter() - started:.0f} s -> {output}")
    print(f"  head pose std (pitch, yaw, roll) {std} degrees, speed {pack.pose_speed:.1f} deg/s; "
          f"{pack.blink_rate_per_minute:.0f} blinks/min of {pack.blink_duration:.2f} s")  # fmt: skip
    print(f"  learned: {'; '.join(pack.learned)}")
    for item in pack.not_learned:
        print(f"note: not learned: {item}", file=sys.stderr)


def cmd_push_style(args: argparse.Namespace) -> None:
    """Share a style pack on the Hugging Face Hub as a repo: the pack (style.safetensors), a model card and a
    preview of the bundled example portrait in that style; with --dry-run, only write those files."""
    from stylehead.media import check_readable, read_audio, read_image
    from stylehead.render.warp_renderer import Portrait
    from stylehead.style.library import check_base
    from stylehead.style.models import StyleModels
    from stylehead.style.pack import StylePack
    from stylehead.style.preview import style_preview
    from stylehead.style.sharing import HubStyle, StyleRepo, check_new_folder, weights_name

    path = check_readable(args.pack)
    pack = StylePack.load(path)
    hub = HubStyle.parse(args.repo_id)
    if hub is None or hub.revision:
        raise StyleheadError(f"{args.repo_id[:80]!r} is not a Hub repo id; write it as owner/name.")
    if args.dry_run:
        check_new_folder(args.dry_run)  # before the models load
    models = StyleModels.from_pretrained(args.weights)
    check_base(pack, models.motion)  # the card names these weights, and the preview is drawn with them
    preview = None
    if (EXAMPLES / "portrait.png").exists() and (EXAMPLES / "speech.wav").exists():
        portrait = Portrait.from_image(read_image(EXAMPLES / "portrait.png"), "portrait.png", models.rest_estimate)
        preview = style_preview(pack, models, portrait, read_audio(EXAMPLES / "speech.wav"))
    else:
        print("note: the bundled examples are not beside this installation; the card has no preview.", file=sys.stderr)
    repo = StyleRepo(pack, hub.repo_id, args.license, weights_name(args.weights), preview, pack_file=path)
    if args.dry_run:
        folder = repo.write(args.dry_run)
        files = ", ".join(sorted(p.name for p in folder.iterdir()))
        print(f"{path.name}: the repo {hub.repo_id} would hold {files} -> {folder} (nothing uploaded)")
        return
    print(f"{path.name}: style {pack.name!r} -> {repo.push(private=args.private)}")


def cmd_evaluate_style(args: argparse.Namespace) -> None:
    """The paper's Table 3: learn each reference's style, drive it with other audio, SLD/SLV/SMD vs neutral."""

    from stylehead.evaluation.report import format_table, write_report
    from stylehead.evaluation.style import METHODS, TABLE, evaluate_style, fold_summaries
    from stylehead.media import AUDIO_SUFFIXES, check_writable
    from stylehead.motion.speaker_split import read_speakers
    from stylehead.style.models import StyleModels

    output = check_writable(args.output, overwrite=args.overwrite, suffixes=(".json",))
    references = _video_folder(Path(args.references), "videos of a face")
    folder = Path(args.audio)
    audio = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES) if folder.is_dir() else []
    if not audio:
        raise StyleheadError(f"{folder} holds no audio files ({', '.join(AUDIO_SUFFIXES)}).")
    models = StyleModels.from_pretrained(args.weights)

    def show(row: dict) -> None:
        n, t = row["neutral"], row["transferred"]
        print(f"  {row['reference']} ({row['audio']}): SLD {n['sld']:.2f} -> {t['sld']:.2f}, "
              f"SLV {n['slv']:.3f} -> {t['slv']:.3f}, SMD {n['smd']:.2f} -> {t['smd']:.2f}",
              file=sys.stderr)  # fmt: skip

    report = evaluate_style(references, audio, models, seed=args.seed, progress=show)
    if not report["references"]:
        raise StyleheadError(f"None of the {len(references)} videos in {args.references} could be learned from.")
    print(format_table(report["summary"], list(METHODS), TABLE, "style"))
    if args.folds:
        report["folds"] = fold_summaries(report, read_speakers(args.speakers), args.folds)
        for fold, figures in report["folds"].items():
            gains = figures["improvement"]
            print(f"{fold} ({figures['references']} references): " + ", ".join(
                f"{key.upper()} {100 * g['mean']:+.1f}% (closer for {100 * g['share_closer']:.0f}%)"
                for key, g in gains.items()))  # fmt: skip
    gains = report["summary"]["improvement"]
    print("transferred vs neutral: " + ", ".join(
        f"{key.upper()} {100 * g['mean']:+.1f}% (closer for {100 * g['share_closer']:.0f}%)" for key, g in gains.items()
    ))  # fmt: skip
    within = report["summary"]["transferred_pose_within_35_percent"]
    print(
        f"head pose within 35% of the reference's: {100 * within:.0f}% of references;"
        f" {len(report['references'])} scored, {len(report['skipped'])} skipped -> {output}"
    )
    write_report(report, output, args.overwrite)


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cmd_benchmark_speed(args: argparse.Namespace) -> None:
    """End-to-end speed at 512x512, 30 fps on 10 s of audio, the encode-only floor, and 10-minute memory."""

    from stylehead.errors import StyleheadError
    from stylehead.evaluation.report import write_report
    from stylehead.evaluation.speed import run_benchmark
    from stylehead.media import check_readable, check_writable
    from stylehead.pipeline import StyleHeadPipeline

    image = Path(args.image) if args.image else EXAMPLES / "portrait.png"
    audio = Path(args.audio) if args.audio else EXAMPLES / "speech.wav"
    if not image.exists() or not audio.exists():
        raise StyleheadError("The bundled examples are not beside this installation; pass --image and --audio.")
    check_readable(image), check_readable(audio)
    output = check_writable(args.output, overwrite=args.overwrite, suffixes=(".json",))
    pipeline = StyleHeadPipeline.from_pretrained(args.weights)
    report = run_benchmark(pipeline, image, audio, args.long_minutes or None,
                           progress=lambda line: print(f"  {line}", file=sys.stderr))  # fmt: skip
    summary, speed = report["summary"], report["speed"]
    print(f"{speed['input_seconds']:g} s at {speed['size'][0]}x{speed['size'][1]}, {speed['fps']} fps: "
          f"real-time factor {summary['real_time_factor']:.2f} (target >= 1, goal 2)")  # fmt: skip
    print("frames/s by stage: " + ", ".join(f"{k} {v:.1f}" for k, v in summary["stage_fps"].items()))
    print(f"encode-only floor {summary['encode_floor_fps']:.1f} frames/s; end to end runs at "
          f"{100 * summary['share_of_floor']:.0f}% of it")  # fmt: skip
    if report["memory"]:
        memory = report["memory"]
        print(f"{memory['minutes']:g} minutes of audio: peak memory {memory['peak_memory_mb']:.0f} MB "
              f"(python {memory['peak_memory_mb_python']:.0f} MB + encoder), "
              f"{memory['real_time_factor']:.2f}x real time")  # fmt: skip
    write_report(report, output, args.overwrite)
    print(f"-> {output}")


MOTION_OPTIONS = ("head_motion_scale", "mouth_scale", "blink_rate", "still", "seed", "temperature")
LIVE_OPTIONS = (*MOTION_OPTIONS, "style_strength", "fps", "size", "mode")  # every option but the renderer


def _add_max_seconds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-seconds", type=bounded_number(float, 0.5, 24 * 3600), default=600.0,
                        help="refuse longer audio (seconds)")  # fmt: skip


def _add_weights_and_overwrite(parser: argparse.ArgumentParser, output: str) -> None:
    """--weights and --overwrite, which every command that runs the models takes."""
    parser.add_argument("--weights", help="weights folder or Hub repo id (default: the bundled weights)")
    parser.add_argument("--overwrite", action="store_true", help=f"replace {output} if already there")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="stylehead",
        description="Style transfer for 2D talking-head animation (arXiv 2303.09799).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    track = commands.add_parser(
        "track", help="track 68 face landmarks and head pose through a video", description=cmd_track.__doc__
    )
    track.add_argument("input", help="a video (or a still image) showing one face")
    track.add_argument("-o", "--output", required=True, help="the .npz file to write")
    track.add_argument("--no-smooth", action="store_true", help="keep the raw per-frame landmarks")
    track.add_argument(
        "--with-audio", action="store_true", help="also store the video's sound (16 kHz mono) in the .npz"
    )
    track.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    track.set_defaults(run=cmd_track)

    motion = commands.add_parser(
        "motion", help="mouth, blink and head motion from audio", description=cmd_motion.__doc__
    )
    motion.add_argument("--audio", required=True, help="speech or singing (wav, mp3, flac, ogg, m4a or a video)")
    motion.add_argument("-o", "--output", required=True, help="a .mp4 facial-map video or a .npz of arrays")
    motion.add_argument("--fps", type=float, default=30.0, choices=(25.0, 30.0, 60.0), help="output frame rate")
    add_arguments(motion, MOTION_OPTIONS)
    _add_max_seconds(motion)
    _add_weights_and_overwrite(motion, "the output file")
    motion.set_defaults(run=cmd_motion)

    animate = commands.add_parser(
        "animate", help="portrait + audio -> talking-head mp4", description=cmd_animate.__doc__
    )
    animate.add_argument("--image", required=True, help="a portrait photo with one face (jpg, png, webp, bmp)")
    animate.add_argument("--audio", required=True, help="speech or singing (wav, mp3, flac, ogg, m4a or a video)")
    animate.add_argument("-o", "--output", required=True, help="the .mp4 to write")
    animate.add_argument("--style", help="a preset name, a style pack (.safetensors), a reference video to learn, or "
                         "a Hub repo id (owner/name, owner/name@revision)")  # fmt: skip
    add_arguments(animate)  # every AnimateOptions field
    _add_max_seconds(animate)
    animate.add_argument("--generator", help="folder of a trained Style-Aware Generator (config.json and weights)")
    animate.add_argument("--max-output-pixels", type=bounded_number(int, 0, 16384 * 16384), default=3840 * 2160,
                         help="refuse size 'original' for larger portraits (pixels a frame; 0: no limit)")  # fmt: skip
    animate.add_argument("--no-contact-sheet", action="store_true",
                         help="do not write <output>.contact.jpg, a sheet of 12 frames")  # fmt: skip
    _add_weights_and_overwrite(animate, "the output files")
    animate.set_defaults(run=cmd_animate)

    live = commands.add_parser("live", help="live: microphone (or a file in real time) -> frames as they are made",
                               description=inspect.cleandoc(cmd_live.__doc__),
                               formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    live.add_argument("--image", required=True, help="a portrait photo with one face (jpg, png, webp, bmp)")
    live.add_argument("--audio", help="stream this file instead of the microphone (wav, mp3, flac, ogg, m4a, video)")
    live.add_argument("--no-pace", action="store_true", help="with --audio: push it as fast as it is drawn, not in "
                      "real time")  # fmt: skip
    live.add_argument("--style", help="a preset name, a style pack, a reference video to learn, or a Hub repo id")
    live.add_argument("-o", "--output", help="the .mp4 to write the frames and their sound to, as they are made")
    live.add_argument("--raw", action="store_true", help="write raw RGB24 frames to stdout (for a player or a "
                      "virtual camera)")  # fmt: skip
    add_arguments(live, LIVE_OPTIONS, defaults={"size": "256", "fps": 25})
    _add_max_seconds(live)
    _add_weights_and_overwrite(live, "the output file")
    live.set_defaults(run=cmd_live)

    batch = commands.add_parser("batch", help="animate every job of a CSV or JSON Lines manifest (resumable)",
                                description=cmd_batch.__doc__)  # fmt: skip
    batch.add_argument("manifest", help="a .csv (a header, then one job a row) or .jsonl (one object a line) with "
                       "image, audio and optionally style, output and any control by its option name")  # fmt: skip
    batch.add_argument("-o", "--output-dir", required=True, help="the folder for the videos and the summary")
    add_arguments(batch)  # every job's controls, unless its row gives its own
    _add_max_seconds(batch)
    batch.add_argument("--workers", type=bounded_number(int, 1, 64), default=1,
                       help="processes started here, each loading the models (1: fastest on 2 cores)")  # fmt: skip
    batch.add_argument("--threads", type=bounded_number(int, 1, 256), default=2,
                       help="torch threads per process (default 2: fastest on 2 quiet cores; 1 on a busy "
                            "machine)")  # fmt: skip
    batch.add_argument("--generator", help="folder of a trained Style-Aware Generator (config.json and weights)")
    batch.add_argument("--contact-sheets", action="store_true", help="also write <output>.contact.jpg for each video")
    _add_weights_and_overwrite(batch, "a file found at a job's output name (finished jobs are still skipped)")
    batch.set_defaults(run=cmd_batch)

    learn = commands.add_parser("learn-style", help="learn a style pack from a reference video",
                                description=cmd_learn_style.__doc__)  # fmt: skip
    learn.add_argument("video", help="a video of one person talking or singing (sound optional)")
    learn.add_argument("-o", "--output", required=True, help="the style pack to write (.safetensors)")
    learn.add_argument("--name", help="the style's name (default: the video's file name)")
    learn.add_argument("--licence", help="the reference video's licence, stored in the pack")
    learn.add_argument("--max-seconds", type=bounded_number(float, 0.5, 3600), default=120.0,
                       help="refuse longer reference videos (seconds)")  # fmt: skip
    learn.add_argument("--steps", type=bounded_number(int, 0, 5000),
                       help="fine-tuning steps (default 100; f alone first for half as many)")  # fmt: skip
    _add_weights_and_overwrite(learn, "the style pack")
    learn.set_defaults(run=cmd_learn_style)

    push = commands.add_parser("push-style", help="share a style pack on the Hugging Face Hub (pack, card, preview)",
                               description=cmd_push_style.__doc__)  # fmt: skip
    push.add_argument("pack", help="the style pack (.safetensors)")
    push.add_argument("repo_id", help="the Hub repo to create or update (owner/name)")
    push.add_argument("--private", action="store_true", help="make the repo private when it is created")
    push.add_argument("--license", default="other", help="the card's licence id (default: other)")
    push.add_argument("--dry-run", metavar="FOLDER", help="write the repo's files into FOLDER and upload nothing")
    push.add_argument("--weights", help="the weights the pack was made with (default: the bundled weights)")
    push.set_defaults(run=cmd_push_style)

    evaluate = commands.add_parser("evaluate", help="measure quality against real clips")
    benches = evaluate.add_subparsers(dest="benchmark", required=True, metavar="WHAT")
    lipsync = benches.add_parser("lipsync", help="mouth motion from audio vs the real face",
                                 description=cmd_evaluate_lipsync.__doc__)  # fmt: skip
    lipsync.add_argument("--clips", required=True, help="a folder of talking-face videos with sound")
    lipsync.add_argument("-o", "--output", required=True, help="the JSON report to write")
    lipsync.add_argument("--style", help="score the generators as this style (preset, pack, video or Hub repo id) "
                         "changes them")  # fmt: skip
    lipsync.add_argument("--live", action="store_true", help="also score the live path (the generators fed 20 ms "
                         "of audio at a time, as `stylehead live` runs them)")
    add_arguments(lipsync, ("style_strength",))
    _add_weights_and_overwrite(lipsync, "the report")
    lipsync.set_defaults(run=cmd_evaluate_lipsync)
    talking = benches.add_parser("talking-head", help="the paper's Table 2: LMD, D-L, D-V, D-A, CPBD vs static",
                                 description=cmd_evaluate_talking_head.__doc__)  # fmt: skip
    talking.add_argument("--clips", required=True, help="a folder of talking-face videos with sound")
    talking.add_argument("-o", "--output", required=True, help="the JSON report to write")
    add_arguments(talking, ("seed", "mouth_scale", "head_motion_scale"))
    _add_weights_and_overwrite(talking, "the report")
    talking.set_defaults(run=cmd_evaluate_talking_head)
    style = benches.add_parser("style", help="the paper's Table 3: SLD, SLV, SMD and head pose, neutral vs transferred",
                               description=cmd_evaluate_style.__doc__)  # fmt: skip
    style.add_argument("--references", required=True, help="a folder of style reference videos")
    style.add_argument("--audio", required=True, help="a folder of driving audio (not the references' own)")
    style.add_argument("-o", "--output", required=True, help="the JSON report to write")
    add_arguments(style, ("seed",))
    style.add_argument("--folds", type=bounded_number(int, 0, 100), default=0,
                       help="also summarise per fold of speakers (0: pooled only)")  # fmt: skip
    style.add_argument("--speakers", default="train/configs/speakers.tsv", help="file<TAB>speaker table for --folds")
    _add_weights_and_overwrite(style, "the report")
    style.set_defaults(run=cmd_evaluate_style)
    render = benches.add_parser("renderer", help="neural vs warp renderer: L1, PSNR, SSIM (face, mouth), CPBD",
                                description=cmd_evaluate_renderer.__doc__)  # fmt: skip
    render.add_argument("--data", required=True, help="validation/ folder made by train/prepare_render_data.py")
    render.add_argument("--generator", action="append", help="Style-Aware Generator folder (repeat to compare several)")
    render.add_argument("--style-mapping", help="Style Mapping intermediate generator folder, to score its ISPs")
    render.add_argument("--device", default="cpu", help="torch device for the generators (cpu, cuda)")
    render.add_argument("-o", "--output", required=True, help="the JSON report to write")
    render.add_argument("--overwrite", action="store_true", help="replace the report if already there")
    render.set_defaults(run=cmd_evaluate_renderer)
    benchmark = commands.add_parser("benchmark", help="measure speed and memory on this machine")
    kinds = benchmark.add_subparsers(dest="kind", required=True, metavar="WHAT")
    speed = kinds.add_parser("speed", help="real-time factor, stage frames/s, encode floor, 10-minute memory",
                             description=cmd_benchmark_speed.__doc__)  # fmt: skip
    speed.add_argument("-o", "--output", required=True, help="the JSON report to write")
    speed.add_argument("--image", help="portrait (default: examples/portrait.png)")
    speed.add_argument("--audio", help="audio, repeated to length (default: examples/speech.wav)")
    speed.add_argument("--long-minutes", type=bounded_number(float, 0, 120), default=10.0,
                       help="length of the memory run (0: skip it)")  # fmt: skip
    _add_weights_and_overwrite(speed, "the report")
    speed.set_defaults(run=cmd_benchmark_speed)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints escaped, not as a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare `stylehead`: what it can do, not a usage error
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, already printed in one line)
        return stop.code if isinstance(stop.code, int) else EXIT_USER_ERROR
    previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
    try:
        args.run(args)
    except StyleheadError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Terminated as stop:
        print(f"error: {stop.args[0] if stop.args else 'stopped (SIGTERM); nothing was written.'}", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
