"""What a weights bundle holds: its manifest, ``model_index.json`` (diffusers' idea, stylehead's names).

A bundle is a folder (the package's ``stylehead/weights/``, another folder, or a Hub snapshot) whose
manifest names every part of the pipeline::

    {
      "_class_name": "StyleHeadPipeline",
      "_format": 1,
      "components": {"speech_encoder": "SpeechEncoder", "mouth_eye_generator": "MouthEyeGenerator",
                     "head_pose_model": "HeadPoseModel", "style_transfer": "StyleTransferNetwork"},
      "files": {"rest_estimate": "rest_estimate.safetensors", "driving_speech": "driving_speech.safetensors",
                "presets": "presets", "loudness_baseline": "mouth_eye_generator/loudness_baseline.safetensors"}
    }

``components`` maps each subfolder (``config.json`` + ``model.safetensors``) to its class, by name
only: the classes a bundle may name are the fixed set :data:`COMPONENT_CLASSES`, so a downloaded
manifest never chooses what code is imported. ``files`` names the other parts by role: the rest
estimate a portrait's mouth is closed with, the speech that drives the generators when a style's
reference has no sound, the presets (style packs tied to these generators) and the loudness
baseline the lip-sync evaluation compares with. Each layer reads its own parts (``motion`` its
models, ``style`` the presets, the style network and the driving speech, ``face`` the rest
estimate); :func:`write_index` writes the manifest of a folder the bundling script assembled.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from stylehead.errors import StyleheadError

INDEX_FILE = "model_index.json"
FORMAT = 1
MAX_INDEX_BYTES = 64_000
COMPONENT_CLASSES = (  # every class a bundle may name, and where it lives
    "SpeechEncoder",  # stylehead.audio.speech_encoder
    "APCEncoder",  # stylehead.audio.apc
    "MouthEyeGenerator",  # stylehead.motion.mouth_eye_generator (several: an ensemble, predictions averaged)
    "HeadPoseModel",  # stylehead.motion.head_pose_model
    "StyleTransferNetwork",  # stylehead.style.transfer
    "StyleAwareGenerator",  # stylehead.render.generator (the neural renderer, optional)
)
PACK_SUFFIX = ".safetensors"  # a style pack's file
FILE_ROLES = ("rest_estimate", "driving_speech", "presets", "loudness_baseline")


@dataclass(frozen=True)
class WeightsIndex:
    """A bundle's manifest, read and checked: which component folder holds which class, where each file is."""

    folder: Path
    components: dict[str, str]  # subfolder → class name, in the manifest's order
    files: dict[str, str]  # role → path inside the folder

    @classmethod
    def read(cls, folder: str | Path) -> "WeightsIndex":
        """The manifest of ``folder``; :class:`StyleheadError` when it is missing, malformed or names
        something outside the folder or a class stylehead does not have."""
        folder = Path(folder)
        path = folder / INDEX_FILE
        if not path.is_file():
            raise StyleheadError(f"{folder} has no {INDEX_FILE}; it is not a stylehead weights bundle "
                                 "(train/bundle_weights.py writes one).")  # fmt: skip
        if path.stat().st_size > MAX_INDEX_BYTES:
            raise StyleheadError(f"{path} is too large to be a stylehead weights manifest.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise StyleheadError(f"{path} is not valid JSON; the weights bundle is damaged.") from None
        if not isinstance(data, dict) or data.get("_format") != FORMAT:
            raise StyleheadError(f"{path} is not a stylehead weights manifest of format {FORMAT}.")
        components, files = data.get("components"), data.get("files", {})
        if not isinstance(components, dict) or not isinstance(files, dict):
            raise StyleheadError(f"{path} must map components and files to names.")
        for name, class_name in components.items():
            if class_name not in COMPONENT_CLASSES:
                raise StyleheadError(f"{path} names {class_name!r} for {name}/, which is not a stylehead component.")
            _check_inside(folder, name, path)
        for role, relative in files.items():
            if role not in FILE_ROLES or not isinstance(relative, str):
                raise StyleheadError(f"{path} lists {role!r}, which is not a part of a stylehead bundle.")
            _check_inside(folder, relative, path)
        return cls(folder, dict(components), dict(files))

    def names(self, class_name: str) -> list[str]:
        """The component folders holding ``class_name``, in the manifest's order."""
        return [name for name, cls_name in self.components.items() if cls_name == class_name]

    def component(self, name: str) -> Path:
        """The folder of component ``name``, checked to hold a config and safetensors weights."""
        folder = self.folder / name
        if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
            raise StyleheadError(f"{self.folder} has no {name}/ with config.json and model.safetensors; the "
                                 "weights bundle is incomplete.")  # fmt: skip
        return folder

    def file(self, role: str) -> Path | None:
        """Where the bundle keeps ``role`` (a file or, for presets, a folder), or None when it has none."""
        relative = self.files.get(role)
        if relative is None:
            return None
        path = self.folder / relative
        return path if path.exists() else None


def preset_names(presets: Path | None) -> list[str]:
    """The style packs in a bundle's presets folder, by name (none when there is no folder)."""
    return sorted(path.stem for path in presets.glob(f"*{PACK_SUFFIX}")) if presets is not None else []


def generator_folder(weights: Path | None, folder: str | Path | None) -> Path | None:
    """The Style-Aware Generator folder to use: ``folder`` when one is given, else the one the weights
    bundle's manifest names, else None."""
    if folder is not None:
        return Path(folder)
    if weights is None:
        return None
    index = WeightsIndex.read(weights)
    names = index.names("StyleAwareGenerator")
    return index.component(names[0]) if names else None


def _check_inside(folder: Path, relative: str, manifest: Path) -> None:
    if not isinstance(relative, str) or not relative or Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise StyleheadError(f"{manifest} points outside its folder ({relative!r}); the weights bundle is unsafe.")


def write_index(folder: str | Path, components: dict[str, str], files: dict[str, str]) -> Path:
    """Write ``folder/model_index.json`` naming ``components`` (subfolder → class) and ``files`` (role → path)."""
    folder = Path(folder)
    unknown = set(components.values()) - set(COMPONENT_CLASSES)
    if unknown:
        raise ValueError(f"not stylehead component classes: {sorted(unknown)}")
    index = {"_class_name": "StyleHeadPipeline", "_format": FORMAT, "components": components, "files": files}
    path = folder / INDEX_FILE
    path.write_text(json.dumps(index, indent=2) + "\n")
    return path
