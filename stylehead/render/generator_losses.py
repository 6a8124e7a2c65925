"""The Style-Aware Generator's losses (paper §4.3, eq. 5–9).

``L_G = LSGAN + λ_pw·L1 + λ_P·perceptual + λ_F·feature matching + λ_sp·L_sp`` with
(λ_pw, λ_P, λ_F) = (100, 10, 1) and the style-aware photometric loss ``L_sp = ||W ⊙ (I' − I_m)||₁``
(W: mouth 5, eyes 3, skin 1, background 0; see :func:`stylehead.render.neural_inputs.region_weights`).
In self-reenactment the frame to match, ``I_m``, is the real target frame (the paper retrieves the
best-matching style pattern with a pretrained feature extractor, which cannot be had here).

The perceptual term is pluggable (:class:`FeatureNetwork`). The paper and LSP use an ImageNet VGG19,
which cannot be downloaded here; the default uses the discriminator's own layers (the only network
here trained to look at faces), so that with it the perceptual term is a second, differently
weighted feature-matching term. Users with VGG19 weights (torchvision's layout, saved as
safetensors) get LSP's loss with :class:`VGG19Features`.
"""

from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

VGG19_LAYERS = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512)
VGG19_TAPS = (1, 6, 11, 20, 29)  # relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (torchvision's feature indices)
VGG_TAP_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)  # pix2pixHD's weighting of the five taps


class FeatureNetwork(Protocol):
    """Images (B, 3, H, W) in [−1, 1] → a list of feature maps compared by L1."""

    def __call__(self, images: torch.Tensor) -> list[torch.Tensor]: ...


class VGG19Features(nn.Module):
    """VGG19's convolutional layers with torchvision's parameter names, frozen, from a safetensors file."""

    def __init__(self, weights: str | Path):
        super().__init__()
        from safetensors.torch import load_file

        layers, channels = [], 3
        for item in VGG19_LAYERS:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU(inplace=False)]
                channels = item
        self.features = nn.Sequential(*layers)
        state = {k: v for k, v in load_file(str(weights)).items() if k.startswith("features.")}
        self.load_state_dict(state, strict=True)
        self.requires_grad_(False).eval()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = ((images + 1) / 2 - self.mean) / self.std
        taps = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in VGG19_TAPS:
                taps.append(x)
            if index == VGG19_TAPS[-1]:
                break
        return taps


def lsgan(predictions: list[list[torch.Tensor]], real: bool) -> torch.Tensor:
    """Least-squares GAN loss averaged over scales (each scale's last output is its patch map)."""
    target = 1.0 if real else 0.0
    losses = [F.mse_loss(scale[-1], torch.full_like(scale[-1], target)) for scale in predictions]
    return torch.stack(losses).mean()


def feature_matching(fake: list[list[torch.Tensor]], real: list[list[torch.Tensor]]) -> torch.Tensor:
    """pix2pixHD's feature matching: L1 between the discriminator's layers on fake and real, averaged."""
    total = fake[0][0].new_zeros(())
    for fake_scale, real_scale in zip(fake, real, strict=True):
        weight = 1.0 / (len(fake_scale) - 1) / len(fake)
        for fake_layer, real_layer in zip(fake_scale[:-1], real_scale[:-1], strict=True):
            total = total + weight * F.l1_loss(fake_layer, real_layer.detach())
    return total


def perceptual(network: FeatureNetwork, fake: torch.Tensor, real: torch.Tensor,
               weights: tuple[float, ...] | None = None) -> torch.Tensor:  # fmt: skip
    """Weighted L1 between a feature network's maps of the fake and the real images."""
    fake_maps, real_maps = network(fake), network(real)
    weights = weights or (1.0,) * len(fake_maps)
    terms = [w * F.l1_loss(a, b.detach()) for w, a, b in zip(weights, fake_maps, real_maps, strict=True)]
    return torch.stack(terms).sum()


def photometric(fake: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The style-aware photometric loss ``mean(W ⊙ |I' − I_m|)``: W (B, 1, H, W)."""
    return (weights * (fake - target).abs()).mean()
