"""The style transfer network f and the style transfer loss (paper §5, eq. 10-13).

f maps a 68×3 landmark vector (204 values, face frame) through three MLP layers of 1024, 512 and
256 units to a feature; the "mean feature" of a set of landmark vectors is the mean of their
features. Fine-tuning the motion generator with

    L_transfer = L_mg + L_sc + L_r
    L_sc = ‖ mean f(φ_mg) − mean f(φ_s) ‖²                          (eq. 10)
    L_r  = ( ‖ ∇_φ̂ f(φ̂) ‖₂ − 1 )²,  φ̂ = γ φ_s + (1 − γ) φ_mg      (eq. 11, 12)

pulls the generated motions φ_mg towards the style references φ_s while the gradient penalty keeps
f smooth between them. φ̂ pairs each generated vector with a reference vector (cycled); the
gradient of f's summed output is taken per φ̂ vector, as in WGAN-GP, and γ is drawn uniformly per
pair unless given.
"""

from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

LANDMARK_DIM = 68 * 3
MOTION_SCALE_MM = 5.0  # motion vectors (face-frame displacements, a few mm) are divided by this


@dataclass
class StyleTransferConfig:
    input_dim: int = LANDMARK_DIM  # 68 landmarks × (x, y, z)
    hidden: tuple[int, ...] = (1024, 512, 256)  # the paper's three MLP layers; the last is the feature


class StyleTransferNetwork(nn.Module, PyTorchModelHubMixin, library_name="stylehead", tags=["stylehead", "style"]):
    """f(·): (..., 204) landmark vectors → (..., 256) style features."""

    def __init__(self, config: StyleTransferConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.input_dim
        for i, size in enumerate(config.hidden):
            layers.append(nn.Linear(width, size))
            if i < len(config.hidden) - 1:
                layers.append(nn.LeakyReLU(0.2))
            width = size
        self.mlp = nn.Sequential(*layers)

    def forward(self, landmarks: torch.Tensor) -> torch.Tensor:
        return self.mlp(landmarks.flatten(-2) if landmarks.shape[-2:] == (68, 3) else landmarks)

    def mean_feature(self, landmarks: torch.Tensor) -> torch.Tensor:
        """(N, 68, 3) or (N, 204) → (256,): the mean feature of a set of landmark vectors."""
        return self(landmarks).mean(0)


def constraint_loss(network: StyleTransferNetwork, generated: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
    """L_sc (eq. 10): squared distance between the mean features of generated and reference landmarks."""
    return (network.mean_feature(generated) - network.mean_feature(references)).pow(2).sum()


def regularisation_loss(network: StyleTransferNetwork, generated: torch.Tensor, references: torch.Tensor,
                        gamma: torch.Tensor | float | None = None, direction: torch.Tensor | None = None
                        ) -> torch.Tensor:  # fmt: skip
    """L_r (eq. 11-12): (‖∇ f(φ̂)‖ − 1)² on mixtures φ̂ = γ φ_s + (1 − γ) φ_mg, averaged over pairs.

    f has 256 outputs; the gradient is that of their sum, or, with a unit ``direction`` (256,), of
    the feature along it (the direction in which L_sc measures the gap, which makes f's gap along it
    1-Lipschitz: the WGAN-GP reading of the penalty).
    """
    generated = generated.reshape(len(generated), -1)
    references = references.reshape(len(references), -1)
    paired = references[torch.arange(len(generated)) % len(references)]
    if gamma is None:
        gamma = torch.rand(len(generated), 1, device=generated.device)
    mixed = (gamma * paired + (1 - gamma) * generated).detach().requires_grad_(True)
    features = network(mixed)
    output = features.sum() if direction is None else (features @ direction).sum()
    (gradient,) = torch.autograd.grad(output, mixed, create_graph=True)
    return (gradient.norm(dim=1) - 1).pow(2).mean()


def transfer_loss(
    network: StyleTransferNetwork, motion_loss: torch.Tensor, generated: torch.Tensor, references: torch.Tensor,
    gamma: torch.Tensor | float | None = None,
) -> dict[str, torch.Tensor]:  # fmt: skip
    """L_transfer = L_mg + L_sc + L_r (eq. 13), with its parts."""
    sc = constraint_loss(network, generated, references)
    r = regularisation_loss(network, generated, references, gamma)
    return {"loss": motion_loss + sc + r, "mg": motion_loss.detach(), "sc": sc.detach(), "r": r.detach()}
