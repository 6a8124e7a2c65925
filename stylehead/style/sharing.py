"""Styles on the Hugging Face Hub: a pack shared as a repo, like a LoRA, and fetched back by its id.

A style repo holds the pack as ``style.safetensors`` (the one file name stylehead reads), a model card
``README.md`` (:mod:`stylehead.style.card`) and, when it was made beside the bundled examples,
``preview.jpg``. ``owner/name`` names the repo, ``owner/name@revision`` a branch, tag or commit of it.
The pack is fetched with ``hf_hub_download`` (once; it honours ``HF_HUB_OFFLINE`` and the local cache)
and then validated like any local pack (:meth:`~stylehead.style.pack.StylePack.load`, by the caller).
Nothing here imports the pack's module: ``StylePack.push_to_hub`` is built on :class:`StyleRepo`.
"""

import contextlib
import importlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from stylehead.errors import StyleheadError
from stylehead.hub import BUNDLED_WEIGHTS, ENVIRONMENT_VARIABLE
from stylehead.media import VIDEO_SUFFIXES
from stylehead.media.image import write_image
from stylehead.style.card import CARD_FILE, PREVIEW_FILE, STYLE_FILE, style_card

if TYPE_CHECKING:
    from stylehead.style.pack import StylePack

__all__ = ["CARD_FILE", "PREVIEW_FILE", "STYLE_FILE", "HubStyle", "StyleRepo", "check_new_folder", "weights_name"]

BUNDLED_NAME = "stylehead's bundled weights"
_PART = r"[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?"
_HUB_STYLE = re.compile(rf"(?P<repo>{_PART}/{_PART})(?:@(?P<revision>[\w.\-/]+))?")
_FILE_SUFFIXES = (".safetensors", *VIDEO_SUFFIXES)  # "clips/talk.mp4" is a missing file, not a repo


@dataclass(frozen=True)
class HubStyle:
    """A style on the Hub: its repo and, when pinned, the revision (branch, tag or commit)."""

    repo_id: str  # owner/name
    revision: str | None = None  # None: the repo's main branch

    @classmethod
    def parse(cls, text: object) -> "HubStyle | None":
        """``owner/name`` or ``owner/name@revision`` → a HubStyle; None for anything else (a preset name, a path)."""
        if not isinstance(text, str) or text.startswith((".", "/", "~")):
            return None
        match = _HUB_STYLE.fullmatch(text)
        if match is None or Path(match["repo"]).suffix.lower() in _FILE_SUFFIXES:
            return None
        return cls(match["repo"], match["revision"])

    def __str__(self) -> str:
        return self.repo_id + (f"@{self.revision}" if self.revision else "")

    def download(self, max_bytes: int) -> Path:
        """The repo's ``style.safetensors`` in the local Hugging Face cache, fetched first when it is not there
        (and refused unfetched when the Hub says it is over ``max_bytes``)."""
        from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache

        with self._hub_errors():
            cached = try_to_load_from_cache(self.repo_id, STYLE_FILE, revision=self.revision)
            if not isinstance(cached, str) and not constants.HF_HUB_OFFLINE:
                self._check_size(max_bytes)  # refuse a huge file before downloading it
            return Path(hf_hub_download(self.repo_id, STYLE_FILE, revision=self.revision, library_name="stylehead"))

    def weights_needed(self) -> str:
        """The weights the repo's card says the style needs (``stylehead_weights``); "" when it does not say."""
        from huggingface_hub import ModelCard, hf_hub_download

        try:
            with self._hub_errors():
                card = ModelCard.load(hf_hub_download(self.repo_id, CARD_FILE, revision=self.revision))
        except (StyleheadError, ValueError, OSError):  # no card, or not one: the fingerprint alone will do
            return ""
        return " ".join(str(card.data.to_dict().get("stylehead_weights") or "").split())[:100]  # one short line

    def _check_size(self, max_bytes: int) -> None:
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        size = get_hf_file_metadata(hf_hub_url(self.repo_id, STYLE_FILE, revision=self.revision)).size
        if size is not None and size > max_bytes:
            raise StyleheadError(f"The style {self} is {size >> 20} MB, more than the {max_bytes >> 20} MB "
                                 "a style pack may be; it is not a stylehead style.")  # fmt: skip

    @contextlib.contextmanager
    def _hub_errors(self):
        """What the Hub client raises → one sentence naming the repo (and the revision)."""
        from huggingface_hub import errors

        at = f" at revision {self.revision}" if self.revision else ""
        try:
            yield
        except errors.LocalEntryNotFoundError:  # offline, or the Hub unreachable, and not in the cache
            raise StyleheadError(f"The style {self.repo_id}{at} is not in the local Hugging Face cache and the Hub "
                                 "cannot be reached; fetch it once with network access, or check the name "
                                 "and the revision.") from None  # fmt: skip
        except errors.GatedRepoError:
            raise StyleheadError(f"The style {self.repo_id} is gated on the Hub; accept its conditions there and "
                                 "log in (hf auth login).") from None  # fmt: skip
        except errors.RepositoryNotFoundError:
            raise StyleheadError(f"There is no Hub repo {self.repo_id} (or it is private); check the id, "
                                 "or log in (hf auth login).") from None  # fmt: skip
        except errors.RevisionNotFoundError:
            raise StyleheadError(f"The Hub repo {self.repo_id} has no revision {self.revision}; give a branch, "
                                 "a tag or a commit it has.") from None  # fmt: skip
        except errors.EntryNotFoundError:
            raise StyleheadError(f"The Hub repo {self.repo_id}{at} holds no {STYLE_FILE}, the file a stylehead "
                                 "style repo keeps its pack in.") from None  # fmt: skip
        except errors.HFValidationError:
            raise StyleheadError(f"{str(self)[:80]!r} is not a valid Hub repo id; write it as owner/name.") from None
        except errors.HfHubHTTPError as err:
            raise StyleheadError(f"The Hub answered {_status(err)} for the style {self.repo_id}{at}; "
                                 "try again later.") from None  # fmt: skip
        except _unreachable():
            raise StyleheadError(f"The Hugging Face Hub cannot be reached for the style {self.repo_id}{at}; check "
                                 "the connection, or set HF_HUB_OFFLINE=1 to use the cache.") from None  # fmt: skip


@dataclass
class StyleRepo:
    """What one style's Hub repo holds: the pack, its model card and its preview."""

    pack: "StylePack"
    repo_id: str  # owner/name
    license: str = "other"  # the card's licence id (https://huggingface.co/docs/hub/repositories-licenses)
    weights: str = ""  # the weights it needs, in words (a Hub id, the bundled weights); "" for the fingerprint only
    preview: np.ndarray | None = None  # (H, W, 3) uint8: the example portrait in this style (style.preview)
    pack_file: Path | None = None  # the pack's own file, uploaded byte for byte; None: the pack is saved

    def write(self, folder: str | Path) -> Path:
        """Write the repo's files into ``folder`` (new or empty): what :meth:`push` uploads."""
        folder = check_new_folder(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.pack_file is not None:
            shutil.copyfile(self.pack_file, folder / STYLE_FILE)
        else:
            self.pack.save(folder / STYLE_FILE)
        if self.preview is not None:
            write_image(folder / PREVIEW_FILE, self.preview)
        card = style_card(self.pack, self.repo_id, license=self.license, weights=self.weights,
                          preview=PREVIEW_FILE if self.preview is not None else None)  # fmt: skip
        card.save(folder / CARD_FILE)
        return folder

    def push(self, private: bool = False, token: str | None = None) -> str:
        """Create the repo (when it is not there) and upload the files; the repo's URL.

        :class:`StyleheadError` in one sentence when the Hub cannot be reached or refuses.
        """
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

        hub = HubStyle.parse(self.repo_id)
        if hub is None or hub.revision:
            raise StyleheadError(f"{self.repo_id[:80]!r} is not a Hub repo id; write it as owner/name.")
        with tempfile.TemporaryDirectory(prefix="stylehead-style-") as staging:
            folder = self.write(Path(staging) / "repo")
            api = HfApi(token=token)
            try:
                url = api.create_repo(self.repo_id, private=private, exist_ok=True)
                api.upload_folder(repo_id=self.repo_id, folder_path=folder,
                                  commit_message=f"Upload the stylehead style {self.pack.name!r}")  # fmt: skip
            except OfflineModeIsEnabled:
                raise StyleheadError(f"Nothing was uploaded to {self.repo_id}: HF_HUB_OFFLINE is set; unset it to "
                                     "upload, or write the files with --dry-run.") from None  # fmt: skip
            except LocalTokenNotFoundError:
                raise StyleheadError(f"Nothing was uploaded to {self.repo_id}: you are not logged in to the Hub; "
                                     "run hf auth login (or set HF_TOKEN) first.") from None  # fmt: skip
            except HfHubHTTPError as err:
                raise StyleheadError(f"The Hub refused the upload to {self.repo_id} ({_status(err)}); check that "
                                     "you are logged in (hf auth login) and may write there.") from None  # fmt: skip
            except _unreachable():
                raise StyleheadError(f"Nothing was uploaded to {self.repo_id}: the Hugging Face Hub cannot be reached; "
                                     "check the connection, or write the files with --dry-run.") from None  # fmt: skip
        return str(url)


def check_new_folder(folder: str | Path) -> Path:
    """``folder``, when it is new or empty (a style repo's files are written into nothing else)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise StyleheadError(f"{folder} is not an empty folder; give a new one for the style repo's files.")
    return folder


def weights_name(source: str | Path | None) -> str:
    """How a card names the weights a style needs: a Hub repo id as it was given, the bundled weights in words,
    a local folder not at all (its path means nothing to anyone else)."""
    source = source if source is not None else os.environ.get(ENVIRONMENT_VARIABLE) or None
    if source is None or Path(source).expanduser().resolve() == BUNDLED_WEIGHTS.resolve():
        return BUNDLED_NAME
    hub = HubStyle.parse(str(source))
    return hub.repo_id if hub is not None and not Path(source).expanduser().exists() else ""


def _status(err) -> str:
    """An HTTP error as a few words: its status code, or its first line."""
    code = getattr(getattr(err, "response", None), "status_code", None)
    return f"HTTP {code}" if code else str(err).splitlines()[0][:120]


def _unreachable() -> tuple[type[BaseException], ...]:
    """What the Hub client raises when the Hub cannot be reached: sockets' errors, and its HTTP library's transport
    errors (huggingface_hub 1 uses httpx, 2 its fork httpx2)."""
    errors: list[type[BaseException]] = [OSError]
    for name in ("httpx2", "httpx"):
        with contextlib.suppress(ImportError):
            errors.append(importlib.import_module(name).TransportError)
    return tuple(errors)
