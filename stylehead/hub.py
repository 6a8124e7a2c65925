"""Where weights come from, in one order everywhere (``docs/architecture.md``, "The weights bundle"):

1. an explicit local folder;
2. the folder named by the ``STYLEHEAD_WEIGHTS`` environment variable;
3. a Hugging Face Hub repo id (``owner/name``), fetched once with ``snapshot_download`` (which
   honours ``HF_HUB_OFFLINE`` and the local cache);
4. the small default weights bundled inside the package.

A bundle is a folder whose manifest, ``model_index.json``, names its components (one subfolder each,
``config.json`` + ``model.safetensors``) and its other parts (rest estimate, driving speech, presets):
:mod:`stylehead.weights_index`. Random weights are never used silently: a missing component is an error.
"""

import os
from pathlib import Path

from stylehead.errors import StyleheadError

BUNDLED_WEIGHTS = Path(__file__).parent / "weights"
ENVIRONMENT_VARIABLE = "STYLEHEAD_WEIGHTS"


def resolve_weights(source: str | Path | None = None) -> Path:
    """The local folder holding the weights named by ``source`` (None: environment, then bundled)."""
    if source is None:
        source = os.environ.get(ENVIRONMENT_VARIABLE) or None
    if source is None:
        return BUNDLED_WEIGHTS
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    text = str(source)
    if path.exists() or text.startswith((".", "/", "~")) or text.count("/") != 1:
        raise StyleheadError(f"No weights folder at {source}; give a folder, a Hub repo id (owner/name) or nothing.")
    return _download(text)


def _download(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, allow_patterns=["*.json", "*.safetensors", "*.md", "*.jpg"]))
    except LocalEntryNotFoundError:
        raise StyleheadError(
            f"The weights {repo_id} are not in the local Hugging Face cache and the Hub cannot be reached; "
            "download them once with network access or give a local folder."
        ) from None
    except HfHubHTTPError as err:
        raise StyleheadError(f"Could not fetch {repo_id} from the Hugging Face Hub ({err}).") from None

