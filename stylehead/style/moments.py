"""The first two moments of a reference's mouth motion, moved onto the generated motion.

The generated displacements d (T, P, 3) of the mouth and jaw are mapped by one affine map
d' = μ_s + A (d − μ_g): μ_g and μ_s are the mean displacements of the generated and the reference
motion (the reference's typical mouth: a smile, a mouth held open), and A = I + U diag(r − 1) Uᵀ
rescales the generated motion along the reference's k principal directions U so that its spread
along each matches the reference's (r = σ_s / σ_g, clipped to [1/MAX_RATIO, MAX_RATIO]); directions
the reference does not use are left as they are. The timing (what the audio drives) is kept; the
shapes and their range become the reference's. Being affine, the map folds exactly into the last
layer of each generator's decoder, so a style is still a change of weights.
"""

import numpy as np
import torch

COMPONENTS = 6  # principal directions of the reference's mouth motion that are matched
MAX_RATIO = 4.0


def match_moments(generated: np.ndarray, reference: np.ndarray, components: int = COMPONENTS,
                  max_ratio: float = MAX_RATIO) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(N, P, 3) generated and (M, P, 3) reference displacements → (A (3P, 3P), shift (3P,)).

    ``d' = A @ d + shift`` for a flattened displacement d.
    """
    g = generated.reshape(len(generated), -1).astype(np.float64)
    s = reference.reshape(len(reference), -1).astype(np.float64)
    mean_g, mean_s = g.mean(0), s.mean(0)
    _, _, vt = np.linalg.svd(s - mean_s, full_matrices=False)
    basis = vt[: min(components, len(vt))].T  # (3P, k)
    spread_s = ((s - mean_s) @ basis).std(0)
    spread_g = ((g - mean_g) @ basis).std(0)
    ratio = np.clip(spread_s / np.maximum(spread_g, 1e-6), 1 / max_ratio, max_ratio)
    a = np.eye(g.shape[1]) + basis @ np.diag(ratio - 1) @ basis.T
    return a, mean_s - a @ mean_g


def fold_affine(layer: torch.nn.Linear, a: np.ndarray, shift: np.ndarray, rows: np.ndarray, scale: float) -> None:
    """Make ``layer`` (whose outputs × ``scale`` are displacements) produce ``A d + shift`` on ``rows``.

    ``rows`` are the output indices of the flattened displacements that ``a`` (len(rows)²) maps.
    """
    with torch.no_grad():
        a_t = torch.as_tensor(a, dtype=layer.weight.dtype)
        rows_t = torch.as_tensor(rows, dtype=torch.long)
        layer.weight[rows_t] = a_t @ layer.weight[rows_t]
        layer.bias[rows_t] = a_t @ layer.bias[rows_t] + torch.as_tensor(shift / scale, dtype=layer.bias.dtype)
