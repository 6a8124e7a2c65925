"""``stylehead evaluate renderer``: the neural renderer against the warp renderer on held-out frames.

Self-reenactment on clips prepared by ``train/prepare_render_data.py`` (speakers no renderer trained
on): each clip's source crop is animated to each target frame's real landmarks, and the result is
compared with the real frame over the whole face and over the mouth (L1 in grey levels, PSNR in dB,
SSIM; ``stylehead.evaluation.image_metrics``), plus CPBD sharpness of the face (higher is sharper). Both
renderers get the same source, landmarks and frames in the same run:

- ``warp``: the one-shot warp renderer (head affine fitted on the brows, nose and eyes);
- ``neural``: the Style-Aware Generator's face blended over the warp frame, exactly as
  :class:`~stylehead.render.neural_renderer.NeuralRenderer` does it in the pipeline.

With Style Mapping weights, the ISP refinement is scored too: the source warped onto each real
reference frame, with and without the intermediate generator, against that frame.
"""

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from stylehead.evaluation.image_metrics import face_and_mouth_scores, mean_scores
from stylehead.evaluation.metrics import cpbd
from stylehead.evaluation.report import Column
from stylehead.face.align import FaceCrop
from stylehead.media.image import decode_jpeg
from stylehead.render.generator import StyleAwareGenerator
from stylehead.render.neural_inputs import mapping_input, region_masks, to_uint8
from stylehead.render.neural_renderer import blend_face, draw_face
from stylehead.render.style_mapping import warp_to
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer

KEYS = ("face_l1", "face_psnr", "face_ssim", "mouth_l1", "mouth_psnr", "mouth_ssim", "cpbd", "ms_per_frame")
TABLE = [Column(key, title) for key, title in zip(KEYS, ("face L1", "face PSNR", "face SSIM", "mouth L1", "mouth PSNR",
                                                        "mouth SSIM", "CPBD", "ms/frame"), strict=True)]  # fmt: skip
CPBD_FRAMES = 6  # frames per clip whose sharpness is measured


def _face_box(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@torch.no_grad()
def evaluate_clip(path: Path, generators: dict[str, StyleAwareGenerator], style_mapping: StyleAwareGenerator | None,
                  device: torch.device) -> dict:  # fmt: skip
    """Scores of every renderer on one prepared clip: {"name", "frames", "<renderer>": {...}, "style_mapping": ...}."""

    data = np.load(path, allow_pickle=False)
    source = decode_jpeg(data["source"])
    patterns = np.stack([decode_jpeg(data[f"pattern_{k}"]) for k in range(4)])
    renderer = WarpRenderer(Portrait.from_landmarks(source, data["source_landmarks"]),
                            RenderConfig(mode="full", size="original"))  # fmt: skip
    identity = FaceCrop(source, np.array([[1.0, 0, 0], [0, 1.0, 0]]), (source.shape[1], source.shape[0]))
    names = ["warp", *generators]
    rows: dict[str, list[dict]] = {name: [] for name in names}
    timing = {name: 0.0 for name in names}
    sharp: dict[str, list[np.ndarray]] = {name: [] for name in ["real", *names]}
    count = len(data["target_frames"])
    sharp_at = set(np.linspace(0, count - 1, min(CPBD_FRAMES, count)).round().astype(int).tolist())
    for n in range(count):
        real, landmarks = decode_jpeg(data[f"target_{n}"]), data["target_landmarks"][n]
        masks = region_masks(landmarks, real.shape[0])
        mark = time.perf_counter()
        warped = warp_to(renderer, landmarks)
        warp_time = time.perf_counter() - mark
        timing["warp"] += warp_time
        frames = {"warp": warped}
        for name, generator in generators.items():
            mark = time.perf_counter()
            face = draw_face(generator, landmarks, source, patterns, device)
            frames[name] = blend_face(warped, face, landmarks, identity)
            timing[name] += time.perf_counter() - mark + warp_time  # the neural frame starts from the warp frame
        for name, frame in frames.items():
            rows[name].append(face_and_mouth_scores(frame, real, masks))
        if n in sharp_at:
            sharp["real"].append(_face_box(real, masks["face"]))
            for name, frame in frames.items():
                sharp[name].append(_face_box(frame, masks["face"]))
    result = {"name": path.stem, "frames": count, "cpbd_real": cpbd(sharp["real"])}
    for name in names:
        result[name] = mean_scores(rows[name])
        result[name]["cpbd"] = cpbd(sharp[name])
        result[name]["ms_per_frame"] = 1000.0 * timing[name] / count
    if style_mapping is not None:
        result["style_mapping"] = _score_mapping(data, style_mapping, device)
    return result


def _score_mapping(data, style_mapping: StyleAwareGenerator, device: torch.device) -> dict:
    """The m, r and o references (the "none" frame is the source itself, which the warp reproduces exactly)."""
    rows = {"warp": [], "refined": []}
    for k in range(1, 4):
        real, warped = decode_jpeg(data[f"reference_{k}"]), decode_jpeg(data[f"warped_{k}"])
        landmarks = data["reference_landmarks"][k]
        masks = region_masks(landmarks, real.shape[0])
        refined = to_uint8(style_mapping(mapping_input(landmarks, warped)[None].to(device))[0])
        rows["warp"].append(face_and_mouth_scores(warped, real, masks))
        rows["refined"].append(face_and_mouth_scores(refined, real, masks))
    return {name: mean_scores(items) for name, items in rows.items()}


def evaluate_renderer(clips: list[Path], generators: dict[str, StyleAwareGenerator],
                      style_mapping: StyleAwareGenerator | None = None, device: str = "cpu",
                      progress: Callable[[dict], None] | None = None) -> dict:  # fmt: skip
    """Score the warp renderer and each generator on every prepared clip; the report as a dict."""
    device = torch.device(device)
    generators = {name: g.eval().to(device) for name, g in generators.items()}
    if style_mapping is not None:
        style_mapping = style_mapping.eval().to(device)
    rows = []
    for path in clips:
        rows.append(evaluate_clip(path, generators, style_mapping, device))
        if progress is not None:
            progress(rows[-1])
    names = ["warp", *generators]
    summary = {name: mean_scores([row[name] for row in rows], KEYS) for name in names}
    summary["real"] = {"cpbd": float(np.mean([row["cpbd_real"] for row in rows]))}
    report = {"summary": summary, "clips": rows, "device": str(device), "mouth_winner": mouth_winner(summary, names)}
    if style_mapping is not None:
        report["style_mapping"] = {
            name: mean_scores([row["style_mapping"][name] for row in rows], KEYS[:6]) for name in ("warp", "refined")
        }
    return report


def mouth_winner(summary: dict, names: list[str]) -> str:
    """The renderer that wins on the mouth region: the most of (lowest L1, highest PSNR, highest SSIM); warp on ties."""
    votes = dict.fromkeys(names, 0)
    votes[min(names, key=lambda n: summary[n]["mouth_l1"])] += 1
    votes[max(names, key=lambda n: summary[n]["mouth_psnr"])] += 1
    votes[max(names, key=lambda n: summary[n]["mouth_ssim"])] += 1
    best = max(votes.values())
    return "warp" if votes["warp"] == best else max(names, key=lambda n: votes[n])
