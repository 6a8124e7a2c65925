"""What bounds the style figures: lip-sync of a reference's own sound, and the SLD/SLV/SMD floor.

For each video:
- ``sync``: Pearson r between the mouth opening the generators give for the video's own sound and
  its tracked opening (``stylehead.style.learn.lip_sync``; below 0.15 a style is learned as silent);
- ``oracle``: the reference's own motion and head pose rendered (commanded landmarks) on its own
  portrait frame, scored against it: the best any transfer can reach with this renderer and tracker;
- ``oracle smoothed``: the same, smoothed in time (Gaussian, σ = 1/15 s): the reference's motion in
  step, without the tracker's frame-to-frame jitter, which no generator of smooth motion can match;
- ``own motion shifted``: the oracle's motion played forward from half-way through the video (and
  round again), i.e. the reference's own motion, smooth or not, out of step with it;
- ``own shapes reversed``: its own mouth shapes played backwards with the neutral head pose, i.e.
  the right shapes out of step with the reference;
- ``neutral``: the default motion driven by ``--audio``;
- ``still``: the portrait frame with its mouth at rest, frozen: no motion at all.

SLV compares landmark velocities frame by frame, so motion that is not in step with the reference
costs more the more it moves; ``still`` shows how far stillness alone gets. The last line gives the
mean of each figure over the videos and how much lower than ``neutral`` each method is.

    python benchmarks/style_floor.py ../shared/data/style/style_styletalk_nice_clip1.mp4 ... \
        [--audio ../shared/data/audio/lsp_00083.wav]
"""

import argparse
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from stylehead.audio.features import num_video_frames
from stylehead.evaluation.metrics import style_metrics
from stylehead.evaluation.style import portrait_frame
from stylehead.face.frontal import to_face_frame
from stylehead.face.pose import relative_pose
from stylehead.face.tracking import track_video
from stylehead.media import read_audio, read_frames
from stylehead.media.ffmpeg import probe
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.data import Motion, MotionControls, resample_motion
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.learn import _face_at_60fps, lip_sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--audio", type=Path, default=Path("../shared/data/audio/lsp_00083.wav"))
    parser.add_argument("--no-oracle", action="store_true", help="only the lip-sync figure")
    args = parser.parse_args()
    model = AudioToMotion.from_pretrained()
    points = list(model.points)
    scores: dict[str, list[dict]] = {}
    for video in args.videos:
        track = track_video(video)
        line = f"{video.name:<48}"
        if probe(video).has_audio:
            sound = read_audio(video)
            face, valid, rest = _face_at_60fps(track, num_video_frames(len(sound)))
            generated = model.mouth_and_eyes(model.audio_features(sound))
            line += f" sync {lip_sync(generated, face, rest, valid, model.points):+.2f}"
        if not args.no_oracle:
            frame = portrait_frame(track)
            portrait = Portrait.from_image(read_frames(video, {frame})[frame], video.name)
            renderer = WarpRenderer(portrait, RenderConfig(mode="full", size="original"))
            own = (to_face_frame(track.landmarks, track.pose, track.image_size) - portrait.rest)[:, points]
            pose = relative_pose(track.pose, track.valid)
            pose = pose - pose[frame]
            count, blink = len(track), np.zeros(len(track), np.float32)
            reference = track.landmarks[track.valid]
            oracle = Motion(tuple(points), own.astype(np.float32), pose.astype(np.float32), blink, track.fps)
            seconds = max(6.0, count / track.fps)
            neutral = resample_motion(
                model(read_audio(args.audio)[: int(seconds * 16000)], MotionControls()), track.fps
            )
            order = np.resize(np.flatnonzero(track.valid)[::-1], len(neutral))
            reversed_own = Motion(tuple(points), own[order].astype(np.float32), neutral.pose, neutral.blink, track.fps)
            still = Motion(tuple(points), np.zeros_like(neutral.displacement), np.zeros_like(neutral.pose),
                           np.zeros_like(neutral.blink), track.fps)  # fmt: skip
            sigma = track.fps / 15.0
            steady = [gaussian_filter1d(v, sigma, axis=0, mode="nearest") for v in (oracle.displacement, oracle.pose)]
            smoothed = Motion(tuple(points), *steady, blink, track.fps)
            shift = np.roll(np.arange(count), -(count // 2))
            shifted = Motion(tuple(points), oracle.displacement[shift], oracle.pose[shift], blink, track.fps)
            methods = {"oracle": oracle, "oracle smoothed": smoothed, "own motion shifted": shifted,
                       "own shapes reversed": reversed_own, "neutral": neutral, "still": still}  # fmt: skip
            for name, motion in methods.items():
                landmarks = renderer.targets(motion).landmarks
                if name == "own motion shifted":
                    landmarks = landmarks[track.valid[shift]]
                elif len(landmarks) == count:
                    landmarks = landmarks[track.valid]
                values = style_metrics(reference, landmarks)
                scores.setdefault(name, []).append(values)
                line += f" | {name}: SLD {values['sld']:.2f} SLV {values['slv']:.3f} SMD {values['smd']:.2f}"
        print(line, flush=True)
    if scores:
        means = {name: {k: float(np.mean([v[k] for v in rows])) for k in ("sld", "slv", "smd")}
                 for name, rows in scores.items()}  # fmt: skip
        print(f"mean over {len(scores['neutral'])} videos: " + " | ".join(
            f"{name}: " + " ".join(f"{k.upper()} {m[k]:.3f} ({1 - m[k] / means['neutral'][k]:+.1%})" for k in m)
            for name, m in means.items()))  # fmt: skip


if __name__ == "__main__":
    main()
