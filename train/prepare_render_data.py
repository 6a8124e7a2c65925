"""Turn talking-face videos into self-reenactment samples for the Style-Aware Generator and Style Mapping.

For every clip: track the face, find its four Style Reference frames (``stylehead.style.references``,
by mouth shape), take the "none" frame (mouth at rest) as the source, fix the generator's face crop on
it, and keep ``--targets`` frames spread over the clip. Each clip becomes ``<output>/<split>/<clip>.npz``
(plain arrays, no pickle; images JPEG-encoded as uint8 byte arrays):

    source                 JPEG of the source crop       source_landmarks (68, 2) crop pixels
    pattern_0..3           JPEG of the four ISPs (the source warped to each reference's expression)
    pattern_landmarks      (4, 68, 2)
    reference_0..3         JPEG of the real reference frames   reference_landmarks (4, 68, 2)
    warped_0..3            JPEG of the source warped onto each real reference frame's landmarks
    target_0..N-1          JPEG of target frames               target_landmarks (N, 68, 2)
    target_frames          (N,) frame indices in the video

Speakers of ``--split`` (``train/configs/split.yaml``) go to ``validation/``, the rest to ``train/``.
The samples hold crops of the clips: keep them out of the repository (``runs/`` is ignored).

Usage:
    python train/prepare_render_data.py --clips ../shared/data/train --output runs/render_data
"""

import argparse
import time
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.face.align import transform_points
from stylehead.face.tracking import track_video
from stylehead.media import VIDEO_SUFFIXES, read_frames
from stylehead.media.image import encode_jpeg
from stylehead.motion.speaker_split import load_split
from stylehead.render.neural_inputs import crop_matrix, cut
from stylehead.render.style_mapping import patterns_for_image, warp_to
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.style.references import TEMPLATES, find_references


def prepare_clip(path: Path, size: int, targets: int, quality: int, seed: int) -> dict[str, np.ndarray]:
    track = track_video(path)
    valid = np.flatnonzero(track.valid)
    if len(valid) < targets + 4:
        raise StyleheadError(f"{path.name}: a face in only {len(valid)} frames")
    references = find_references(track.landmarks, track.pose, track.valid, track.image_size)
    chosen = [references.frames[t] for t in TEMPLATES]
    source = chosen[0]
    rng = np.random.default_rng(seed)
    pool = np.setdiff1d(valid, [source])
    spread = np.linspace(0, len(pool) - 1, targets)
    jitter = rng.uniform(-0.5, 0.5, targets) * (len(pool) / targets)
    picks = np.unique(pool[np.clip(np.round(spread + jitter), 0, len(pool) - 1).astype(int)])
    frames = read_frames(path, {source, *chosen, *picks.tolist()})
    matrix = crop_matrix(track.landmarks[source], size)

    def crop(index: int) -> tuple[np.ndarray, np.ndarray]:
        return cut(frames[index], matrix, size), transform_points(track.landmarks[index].astype(np.float64), matrix)

    source_image, source_landmarks = crop(source)
    patterns = patterns_for_image(source_image, source_landmarks, references.face_points)
    arrays = {
        "source": encode_jpeg(source_image, quality),
        "source_landmarks": source_landmarks.astype(np.float32),
        "pattern_landmarks": patterns.landmarks.astype(np.float32),
        "target_frames": picks.astype(np.int32),
    }
    renderer = WarpRenderer(Portrait.from_landmarks(source_image, source_landmarks),
                            RenderConfig(mode="full", size="original"))  # fmt: skip
    reference_landmarks = []
    for k, index in enumerate(chosen):
        arrays[f"pattern_{k}"] = encode_jpeg(patterns.images[k], quality)
        image, landmarks = crop(index)
        arrays[f"reference_{k}"] = encode_jpeg(image, quality)
        arrays[f"warped_{k}"] = encode_jpeg(warp_to(renderer, landmarks.astype(np.float32)), quality)
        reference_landmarks.append(landmarks)
    arrays["reference_landmarks"] = np.stack(reference_landmarks).astype(np.float32)
    target_landmarks = []
    for n, index in enumerate(picks):
        image, landmarks = crop(int(index))
        arrays[f"target_{n}"] = encode_jpeg(image, quality)
        target_landmarks.append(landmarks)
    arrays["target_landmarks"] = np.stack(target_landmarks).astype(np.float32)
    return arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, required=True, help="folder of talking-face videos")
    parser.add_argument("--output", type=Path, required=True, help="folder for train/ and validation/")
    parser.add_argument("--split", type=Path, default=Path("train/configs/split.yaml"))
    parser.add_argument("--size", type=int, default=256, help="crop side in pixels")
    parser.add_argument("--targets", type=int, default=24, help="target frames per training clip")
    parser.add_argument("--validation-targets", type=int, default=32, help="target frames per validation clip")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality of the stored crops")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    held_out = load_split(args.split)
    clips = sorted(p for p in args.clips.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    for index, clip in enumerate(clips, 1):
        split = "validation" if held_out.is_held_out(clip.stem) else "train"
        target = args.output / split / f"{clip.stem}.npz"
        if target.exists() and not args.overwrite:
            continue
        start = time.perf_counter()
        count = args.validation_targets if split == "validation" else args.targets
        try:
            arrays = prepare_clip(clip, args.size, count, args.quality, seed=index)
        except StyleheadError as err:
            print(f"[{index}/{len(clips)}] {clip.name}: skipped ({err})", flush=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez(target, **arrays)
        kb = target.stat().st_size / 1024
        print(f"[{index}/{len(clips)}] {clip.name} -> {split}: {len(arrays['target_frames'])} targets, "
              f"{kb:.0f} KB, {time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
