"""Learning a style from one reference video: ``python -m stylehead learn-style VIDEO -o S.safetensors``.

1. Track the face (68 landmarks and head pose per frame).
2. Find the four Style Reference Images (:mod:`stylehead.style.references`), by phones when the
   video has sound.
3. Keep the head motion (the pose track at 60 fps, which a style replays), measure its statistics
   (spread and speed) and the blinks (:mod:`stylehead.style.statistics`).
4. Fine-tune the mouth and eye generators towards the reference's motion
   (:mod:`stylehead.style.fine_tune`): on its own sound when it has one, else on the bundled
   driving speech.

The result is a :class:`~stylehead.style.pack.StylePack`; what could not be learned (the mouth's
timing without sound) is said in its header.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from stylehead.audio.features import FPS, num_video_frames
from stylehead.audio.phones import phone_features
from stylehead.correlation import pearson
from stylehead.errors import StyleheadError
from stylehead.face.expression import expression_of
from stylehead.face.frontal import to_face_frame
from stylehead.face.landmarks import mouth_opening
from stylehead.face.rest_shape import RestEstimate, apply_displacements, displacements, portrait_rest, rest_shape
from stylehead.face.tracking import Track, track_video
from stylehead.media import probe, read_audio
from stylehead.style.fine_tune import FineTuneConfig, StyleData, fine_tune
from stylehead.style.models import StyleModels
from stylehead.style.moments import fold_affine, match_moments
from stylehead.style.pack import StylePack
from stylehead.style.references import find_references
from stylehead.style.statistics import blink_statistics, brow_track, pose_speed, pose_statistics, pose_track

MOMENT_POINTS = tuple(range(48, 68)) + tuple(range(5, 12))  # mouth and lower jaw (the eyes keep their blinks)
MIN_LIP_SYNC = 0.15  # below this, a reference's sound is taken not to drive its mouth (dubbed, mimed)
SILENT_RMS = 10 ** (-50 / 20)  # a soundtrack quieter than -50 dBFS counts as no sound


@dataclass
class LearnStyleConfig:
    """Limits and training length of one style."""

    max_seconds: float = 120.0  # longer references are refused up front
    max_frame_pixels: int = 3840 * 2160  # larger frames (8K and up) are refused up front: tracking them is slow
    min_face_seconds: float = 1.5  # a reference needs at least this much of a visible face
    match_moments: bool = True  # start fine-tuning from the reference's mouth moments (style.moments)
    fine_tune: FineTuneConfig = field(default_factory=FineTuneConfig)


def _face_at_60fps(track: Track, count: int, estimate: RestEstimate | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The track at 60 fps in the face frame: points (count, 68, 3), valid (count,), rest shape (68, 3).

    The rest shape has its mouth closed (``portrait_rest``) as a portrait's is, so displacements
    from it apply to a portrait the same way: a singer or a frightened face rarely closes the
    mouth, and that held-open mouth is part of the style.
    """
    landmarks, pose, valid = track.resampled(count, FPS)
    face_points = to_face_frame(landmarks, pose, track.image_size)
    return face_points, valid, portrait_rest(rest_shape(face_points, valid), estimate)


def lip_sync(generated: np.ndarray, face_points: np.ndarray, rest: np.ndarray, valid: np.ndarray,
             points: tuple[int, ...]) -> float:  # fmt: skip
    """Pearson r between the mouth opening the generators give for the video's sound and its real one."""

    count = min(len(generated), len(face_points))
    keep = valid[:count]
    if keep.sum() < 10:
        return 0.0
    predicted = mouth_opening(apply_displacements(rest, generated[:count], points)[keep][..., :2])
    return float(pearson(predicted, mouth_opening(face_points[:count][keep][..., :2])))


@dataclass
class _Driving:
    """What drives the generators while a style is learned, and the reference's face at the same 60 fps frames."""

    audio: np.ndarray | None  # the reference's own sound, when it drives its mouth; None: the bundle's driving speech
    features: dict[str, np.ndarray]  # the motion models' features of that sound
    face_points: np.ndarray  # (T, 68, 3) the reference's face in the face frame
    valid: np.ndarray  # (T,) frames with a face
    rest: np.ndarray  # (68, 3) the reference's rest shape, its mouth closed as a portrait's is
    generated: np.ndarray  # (T, P, 3) the untuned generators' motion for that sound
    sync: float | None  # lip-sync r of the reference's sound against its mouth (None: it has no sound)


def learn_style(
    video: str | Path,
    models: StyleModels,
    name: str | None = None,
    config: LearnStyleConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    track: Track | None = None,
    device: str = "cpu",
) -> StylePack:
    """Learn the style of ``video``; :class:`StyleheadError` when it cannot be learned from.

    ``progress(stage, done, total)`` reports "track" (frames) and "fine-tune" (steps). A ``track``
    of the video made earlier is used instead of tracking it again; ``device`` is where the
    fine-tuning runs.
    """
    config = config or LearnStyleConfig()
    video = Path(video)
    info = _check_reference(video, models, config)
    track = track if track is not None else _track(video, info, progress)
    face_seconds = _check_face(video, track, config)
    driving = _driving(video, info.has_audio, track, models)
    references = _reference_images(track, driving)
    deltas, losses = _tune_generators(models, driving, config, progress, device)
    return _pack(video, name, track, references, deltas, losses, driving, face_seconds, models)


def _check_reference(video: Path, models: StyleModels, config: LearnStyleConfig):
    """The video's stream information, after refusing what cannot be learned from before any work."""
    info = probe(video)
    if info.is_picture:
        raise StyleheadError(f"{video.name} is a picture; a style is learned from a video of someone talking or "
                             f"singing, with at least {config.min_face_seconds:g} s of the face visible.")  # fmt: skip
    if not info.has_video:
        raise StyleheadError(f"{video.name} has no video stream; a style reference must be a video of a face.")
    if info.duration is not None and info.duration > config.max_seconds:
        raise StyleheadError(f"The style video {video.name} is {info.duration:.0f} s long; the limit is "
                             f"{config.max_seconds:.0f} s. Cut it shorter.")  # fmt: skip
    if info.size is not None and info.size[0] * info.size[1] > config.max_frame_pixels:
        width, height = info.size
        raise StyleheadError(f"The style video {video.name} is {width}x{height} pixels a frame; the limit is "
                             f"{config.max_frame_pixels:,} pixels. Scale it down first.")  # fmt: skip
    if models.style_network is None or models.driving_speech is None:
        raise StyleheadError("These weights have no style transfer network or driving speech, so styles cannot be "
                             "learned with them.")  # fmt: skip
    return info


def _track(video: Path, info, progress: Callable[[str, int, int], None] | None) -> Track:
    """The face tracked through the video, reported as "track" progress."""
    total_frames = max(1, round((info.duration or 0) * (info.fps or 25)))
    done = [0]

    def tracked(count: int) -> None:
        done[0] += count
        if progress is not None:
            progress("track", min(done[0], total_frames), total_frames)

    return track_video(video, progress=tracked)


def _check_face(video: Path, track: Track, config: LearnStyleConfig) -> float:
    """Seconds of visible face; :class:`StyleheadError` when there are too few."""
    face_seconds = track.valid.sum() / track.fps
    if face_seconds < config.min_face_seconds:
        raise StyleheadError(
            f"The style video {video.name} shows a face for only {face_seconds:.1f} s; "
            f"give at least {config.min_face_seconds:g} s of a clearly visible face."
        )
    return float(face_seconds)


def _driving(video: Path, has_audio: bool, track: Track, models: StyleModels) -> _Driving:
    """The reference's own sound when it drives its mouth (lip-sync r at least MIN_LIP_SYNC); else, for a
    silent, dubbed or mimed video, the bundle's driving speech."""
    motion_model = models.motion
    audio = read_audio(video) if has_audio else None
    if audio is not None and (audio.size == 0 or np.sqrt(np.mean(audio.astype(np.float64) ** 2)) < SILENT_RMS):
        audio = None
    sync = None
    if audio is not None:
        features = motion_model.audio_features(audio)
        face_points, valid, rest = _face_at_60fps(track, num_video_frames(len(audio)), models.rest_estimate)
        generated = motion_model.mouth_and_eyes(features)
        sync = lip_sync(generated, face_points, rest, valid, motion_model.points)
        if sync < MIN_LIP_SYNC:  # dubbed, mimed or music over the pictures: the sound does not drive this mouth
            audio = None
    if audio is None:
        features = motion_model.audio_features(models.driving_speech)
        count = max(2, round(len(track) / track.fps * FPS))
        face_points, valid, rest = _face_at_60fps(track, count, models.rest_estimate)
        generated = motion_model.mouth_and_eyes(features)
    return _Driving(audio, features, face_points, valid, rest, generated, sync)


def _reference_images(track: Track, driving: _Driving):
    """The four Style Reference Images, by the phones at the video's frames when its sound drives its mouth."""
    phones_at_video = None
    if driving.audio is not None:
        features = driving.features
        phones = features["phones"] if "phones" in features else phone_features(driving.audio)
        at = np.clip(np.round(np.arange(len(track)) / track.fps * FPS).astype(int), 0, len(phones) - 1)
        phones_at_video = phones[at]
    return find_references(track.landmarks, track.pose, track.valid, track.image_size, phones_at_video)


def _tune_generators(models: StyleModels, driving: _Driving, config: LearnStyleConfig,
                     progress: Callable[[str, int, int], None] | None, device: str
                     ) -> tuple[list[dict[str, torch.Tensor]], dict[str, float]]:  # fmt: skip
    """Each generator's weight changes: the reference's mouth moments (closed form, folded into the decoders),
    then fine-tuning (reported as "fine-tune" progress); and the losses."""
    motion_model = models.motion
    points = motion_model.points
    face_points, valid, rest = driving.face_points, driving.valid, driving.rest
    data = StyleData(
        reference=torch.from_numpy((face_points[valid] - rest[None]).astype(np.float32)),
        driving=[motion_model.generator_inputs(g, driving.features) for g in motion_model.generators],
        anchor=torch.from_numpy(np.ascontiguousarray(driving.generated, np.float32)),
    )
    if driving.audio is not None:
        data.target = torch.from_numpy(displacements(face_points, rest, points))
        data.mask = torch.from_numpy(valid.copy())

    def tuned(step: int, total: int) -> None:
        if progress is not None:
            progress("fine-tune", step, total)

    start = [copy.deepcopy(g) for g in motion_model.generators]
    if config.match_moments:
        shaped = [i for i, p in enumerate(points) if p in MOMENT_POINTS]
        rows = np.array([3 * i + c for i in shaped for c in range(3)])
        reference = data.reference.numpy()[:, [points[i] for i in shaped]]
        a, shift = match_moments(driving.generated[:, shaped], reference)
        for generator in start:
            fold_affine(generator.decoder[-1], a, shift, rows, generator.config.target_scale)
    tuned_deltas, losses = fine_tune(start, models.style_network, data, config.fine_tune, tuned, device)
    deltas = []
    for original, begun, tuned_delta in zip(motion_model.generators, start, tuned_deltas, strict=True):
        before, after = dict(original.named_parameters()), dict(begun.named_parameters())
        deltas.append({key: after[key].detach() - before[key].detach() + value for key, value in tuned_delta.items()})
    return deltas, losses


def _pack(video: Path, name: str | None, track: Track, references, deltas: list[dict[str, torch.Tensor]],
          losses: dict[str, float], driving: _Driving, face_seconds: float, models: StyleModels
          ) -> StylePack:  # fmt: skip
    """The style pack: what was learned, what was not and why, and the measured statistics."""
    motion_model = models.motion
    pose_mean, pose_std = pose_statistics(track)
    blinks = blink_statistics(track)
    head_motion = pose_track(track)
    learned = [f"head motion (the reference's own {len(head_motion) / FPS:.0f} s, replayed in a loop)",
               "blinks (rate and duration)", "reference images",
               "expression (where brows, eyelids and mouth corners sit, and the brows' motion)"]  # fmt: skip
    if track.faces > 1:
        learned.append(f"all of it from the largest of the {track.faces} faces in view")
    not_learned = []
    if driving.audio is not None:
        learned.append("mouth and eyes (fine-tuned on the reference's own sound)")
    else:
        learned.append("mouth and eyes (fine-tuned on the motion alone)")
        if driving.sync is None:
            not_learned.append("the mouth's timing against speech: the video has no sound")
        else:
            not_learned.append(f"the mouth's timing against speech: the video's sound does not follow its mouth "
                               f"(lip-sync r = {driving.sync:.2f})")  # fmt: skip
    if driving.sync is not None:
        losses = {**losses, "sync": driving.sync}
    metrics = {"face_seconds": round(face_seconds, 2), **{f"loss_{k}": round(v, 5) for k, v in losses.items()}}
    return StylePack(
        name=name or video.stem,
        reference_landmarks=references.landmarks,
        reference_face_points=references.face_points,
        pose_mean=pose_mean,
        pose_std=pose_std,
        pose_speed=pose_speed(track),
        blink_rate_per_minute=blinks.rate_per_minute,
        blink_duration=blinks.duration,
        source=video.name,
        learned=learned,
        not_learned=not_learned,
        metrics=metrics,
        deltas={
            f"{component}.{key}": value.numpy().astype(np.float16)
            for component, delta in zip(motion_model.generator_names, deltas, strict=True)
            for key, value in delta.items()
        },
        base=motion_model.fingerprint,
        pose_track=head_motion,
        expression=expression_of(driving.rest),
        brow_track=brow_track(track),
    )
