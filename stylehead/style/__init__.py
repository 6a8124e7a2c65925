"""Style: the reference frames of a style video and style packs (style transfer is still to come)."""

from stylehead.style.pack import StylePack
from stylehead.style.references import TEMPLATES, StyleReferences, find_references, mouth_descriptors

__all__ = ["TEMPLATES", "StylePack", "StyleReferences", "find_references", "mouth_descriptors"]
