"""Style: reference frames, learning a style from a video (``learn_style``), style packs and presets."""

from stylehead.style.pack import StylePack
from stylehead.style.references import TEMPLATES, StyleReferences, find_references, mouth_descriptors

__all__ = ["TEMPLATES", "StylePack", "StyleReferences", "find_references", "mouth_descriptors"]
