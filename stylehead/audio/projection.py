"""Manifold projection of audio features (LSP §3.1, paper §3.1): locally linear reconstruction.

Each feature vector f is replaced by the combination of its K nearest neighbours f_k in a database
of features seen in training whose weights sum to one and minimise ‖f − Σ w_k f_k‖ (Roweis & Saul's
LLE weights, with a small ridge for stability), then blended back: (1 − p)·f + p·f'. Projected
features stay on the manifold the motion model was trained on, which helps with unseen voices.
"""

import torch


def nearest_neighbours(features: torch.Tensor, database: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (T, k) of the k database rows nearest to each of the (T, D) features."""
    distances = (
        (features**2).sum(1, keepdim=True) + (database**2).sum(1)[None] - 2.0 * features @ database.T
    )  # (T, N) squared Euclidean
    return distances.topk(k, dim=1, largest=False).indices


def lle_weights(features: torch.Tensor, neighbours: torch.Tensor, ridge: float = 1e-3) -> torch.Tensor:
    """Weights (T, k), summing to one, that best rebuild (T, D) features from (T, k, D) neighbours."""
    differences = neighbours - features[:, None]  # (T, k, D)
    gram = differences @ differences.transpose(1, 2)  # (T, k, k)
    k = gram.shape[-1]
    trace = gram.diagonal(dim1=1, dim2=2).sum(-1).clamp(min=1e-12)
    gram = gram + (ridge * trace / k)[:, None, None] * torch.eye(k, dtype=gram.dtype)
    weights = torch.linalg.solve(gram, torch.ones(gram.shape[:-1], dtype=gram.dtype))
    return weights / weights.sum(-1, keepdim=True)


def project(
    features: torch.Tensor, database: torch.Tensor, k: int = 10, blend: float = 1.0, chunk: int = 4096
) -> torch.Tensor:
    """Project (T, D) features onto the manifold of the (N, D) database; ``blend`` = p in [0, 1]."""
    if blend <= 0.0 or len(features) == 0:
        return features
    database = database.to(features.dtype)
    out = torch.empty_like(features)
    for start in range(0, len(features), chunk):  # bounded memory: T × N distances per chunk
        part = features[start : start + chunk]
        neighbours = database[nearest_neighbours(part, database, k)]  # (t, k, D)
        weights = lle_weights(part, neighbours)
        projected = (weights[..., None] * neighbours).sum(1)
        out[start : start + chunk] = (1.0 - blend) * part + blend * projected
    return out
