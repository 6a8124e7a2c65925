"""How close a rendered frame is to the real one, over a region: L1, PSNR and SSIM.

Regions are boolean masks (``stylehead.render.neural_inputs.region_masks``: the whole face, the
mouth). SSIM is Wang et al.'s (Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03) on the grey image,
its map averaged over the region's pixels.
"""

import numpy as np

SSIM_SIGMA = 1.5


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images (or pixel arrays), in dB (inf when equal)."""
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def _grey(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W) SSIM map of two (H, W, 3) uint8 images."""
    import cv2

    x, y = _grey(a), _grey(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (11, 11), SSIM_SIGMA)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def region_scores(rendered: np.ndarray, real: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """L1 (grey levels, 0–255), PSNR (dB) and SSIM of two (H, W, 3) uint8 images over a (H, W) bool mask."""
    if not mask.any():
        raise ValueError("the region is empty")
    difference = rendered.astype(np.float64)[mask] - real.astype(np.float64)[mask]
    return {
        "l1": float(np.abs(difference).mean()),
        "psnr": psnr(rendered[mask], real[mask]),
        "ssim": float(ssim_map(rendered, real)[mask].mean()),
    }


def face_and_mouth_scores(rendered: np.ndarray, real: np.ndarray, masks: dict[str, np.ndarray]) -> dict[str, float]:
    """:func:`region_scores` over the ``face`` and ``mouth`` masks, as ``face_l1`` … ``mouth_ssim``."""
    return {f"{region}_{key}": value for region in ("face", "mouth")
            for key, value in region_scores(rendered, real, masks[region]).items()}  # fmt: skip


def mean_scores(rows: list[dict[str, float]], keys: tuple[str, ...] | None = None) -> dict[str, float]:
    """The mean of each score over ``rows`` (all of the first row's keys, or ``keys``)."""
    return {key: float(np.mean([row[key] for row in rows])) for key in (keys or rows[0])}
