"""What learning and applying a style needs from a weights bundle, loaded once.

The motion model (whose generators a style's weight deltas change), the style transfer network f
that fine-tuning is judged by, the speech that drives the generators when a reference has no sound,
the rest estimate that closes a reference's mouth the way a portrait's is closed, and the bundle's
presets (packs tied to these generators). All come from one bundle's manifest
(:mod:`stylehead.weights_index`), so another bundle brings its own presets.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.face.rest_shape import RestEstimate
from stylehead.hub import resolve_weights
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.safe_loading import load_component, load_tensors
from stylehead.style.transfer import StyleTransferNetwork
from stylehead.weights_index import PACK_SUFFIX, WeightsIndex, preset_names

__all__ = ["PACK_SUFFIX", "StyleModels", "preset_names", "read_driving_speech"]


@dataclass
class StyleModels:
    """A bundle's style side; ``style_network`` or ``driving_speech`` None: styles can be applied, not learned."""

    motion: AudioToMotion
    style_network: StyleTransferNetwork | None = None
    driving_speech: np.ndarray | None = None  # (N,) float32 16 kHz
    rest_estimate: RestEstimate | None = None  # None: the default bundle's
    presets: Path | None = None  # a folder of style packs

    @classmethod
    def from_pretrained(cls, source: str | Path | None = None, motion: AudioToMotion | None = None) -> "StyleModels":
        """The style side of a bundle (see :mod:`stylehead.hub`); ``motion``: its motion model, already loaded."""
        index = WeightsIndex.read(resolve_weights(source))
        networks = index.names("StyleTransferNetwork")
        speech = index.file("driving_speech")
        estimate = index.file("rest_estimate")
        network = load_component(StyleTransferNetwork, index.component(networks[0])).eval() if networks else None
        return cls(
            motion=motion or AudioToMotion.from_pretrained(index.folder),
            style_network=network,
            driving_speech=read_driving_speech(speech) if speech is not None else None,
            rest_estimate=RestEstimate.load(estimate) if estimate is not None else None,
            presets=index.file("presets"),
        )  # fmt: skip

    def preset_names(self) -> list[str]:
        """The bundle's presets, by name."""
        return preset_names(self.presets)


def read_driving_speech(path: Path) -> np.ndarray:
    """(N,) float32 16 kHz samples of a bundle's driving speech (stored as 16-bit integers)."""
    tensors, _ = load_tensors(path, {"audio": (None, np.int16)}, "stylehead's driving speech")
    if len(tensors["audio"]) < 16_000:
        raise StyleheadError(f"{path} holds less than a second of driving speech; the weights bundle is damaged.")
    return tensors["audio"].astype(np.float32) / 32768.0
