"""Style: the reference frames of a style video (and, to come, style transfer and style packs)."""

from stylehead.style.references import TEMPLATES, StyleReferences, find_references, mouth_descriptors

__all__ = ["TEMPLATES", "StyleReferences", "find_references", "mouth_descriptors"]
