"""Portrait + audio → talking-head mp4: the whole of stylehead behind one call.

    from stylehead import StyleHeadPipeline

    pipe = StyleHeadPipeline.from_pretrained()          # the bundled weights, offline
    result = pipe("portrait.png", "speech.wav", output="talking.mp4", seed=0)
    print(result.video, result.timings)
    sung = pipe("portrait.png", "song.wav", output="sung.mp4", style="singing")  # or a pack, a video, a Hub id

Weights resolve as :func:`stylehead.hub.resolve_weights` says (an explicit folder or Hub id, then
``$STYLEHEAD_WEIGHTS``, then the weights inside the package). The audio becomes motion
(:class:`~stylehead.motion.audio_to_motion.AudioToMotion`, changed by a style pack when one is
given: :mod:`stylehead.style.library`), the motion moves the portrait
(:class:`~stylehead.render.warp_renderer.WarpRenderer`, or with ``renderer="neural"`` and a trained
Style-Aware Generator, :class:`~stylehead.render.neural_renderer.NeuralRenderer`), and each frame goes
straight to the encoder: memory does not grow with the audio's length.
"""

import contextlib
import copy
import io
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from safetensors.numpy import save_file

from stylehead.errors import StyleheadError
from stylehead.face.rest_shape import RestEstimate
from stylehead.hub import resolve_weights
from stylehead.live import LiveFrame, LiveSession, MotionStream
from stylehead.media import SAMPLE_RATE, VideoWriter, check_writable, read_audio, read_image
from stylehead.media.files import commit_output, output_lock, partial_path
from stylehead.media.image import write_image
from stylehead.motion.audio_to_motion import AudioToMotion
from stylehead.motion.blinks import BlinkConfig
from stylehead.motion.data import Motion, MotionControls, fit_length, resample_motion
from stylehead.options import AnimateOptions
from stylehead.render.framing import parse_size
from stylehead.render.generator import StyleAwareGenerator
from stylehead.render.neural_inputs import INPUT_CHANNELS
from stylehead.render.neural_renderer import NeuralRenderer
from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
from stylehead.safe_loading import load_component
from stylehead.style.library import load_style, styled, styled_portrait
from stylehead.style.models import StyleModels
from stylehead.style.pack import StylePack
from stylehead.weights_index import WeightsIndex, generator_folder, write_index

RENDERERS = ("warp", "neural")
GENERATOR_FOLDER = "style_aware_generator"  # the neural renderer's weights inside a weights bundle
CONTACT_SHEET_FRAMES = 12
DEFAULT_MAX_SECONDS = 600.0
MIN_AUDIO_SECONDS = 0.25  # a video shorter than this has no room for a sound track (and no words)
LIVE_CONTEXT_SECONDS = 4.0  # audio before the new frames in each live speech-encoder window (docs/live.md)
LIVE_SPEECH_LOOKAHEAD = 6  # 60-fps frames the live speech encoder hears past a frame
DEFAULT_MAX_OUTPUT_PIXELS = 3840 * 2160  # per frame: size "original" keeps a photo's pixels, so 4K at most


@dataclass
class AnimationResult:
    """What one call produced."""

    video: Path  # the H.264 + AAC mp4
    motion: Motion  # the motion at the video's frame rate
    landmarks: np.ndarray  # (T, 68, 2) float32: where each frame's landmarks were put, output pixels
    fps: float
    size: tuple[int, int]  # (width, height)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"
    contact_sheet: Path | None = None
    notes: list[str] = field(default_factory=list)  # things the user should know (several faces, silence)
    style: StylePack | None = None  # the style used, with its reference landmarks and statistics

    @property
    def num_frames(self) -> int:
        return len(self.motion)


class StyleHeadPipeline:
    """The trained models of one weights bundle, loaded once; call it for each portrait and audio clip."""

    def __init__(self, style_models: StyleModels, weights: Path | None = None,
                 generator: StyleAwareGenerator | None = None):  # fmt: skip
        self.style_models = style_models  # the motion model, and what learning and applying styles needs
        self.weights = weights  # the bundle's folder, when loaded from one
        self.generator = generator  # the neural renderer's network, or None: that renderer is not available

    @property
    def motion_model(self) -> AudioToMotion:
        return self.style_models.motion

    @property
    def renderers(self) -> tuple[str, ...]:
        """The renderers this pipeline can use: ``warp`` always, ``neural`` when it has generator weights."""
        return RENDERERS if self.generator is not None else ("warp",)

    def preset_names(self) -> list[str]:
        """The presets of this pipeline's bundle, by name."""
        return self.style_models.preset_names()

    @classmethod
    def from_pretrained(
        cls, source: str | Path | None = None, generator: str | Path | None = None
    ) -> "StyleHeadPipeline":
        """Load a weights bundle (see :func:`~stylehead.hub.resolve_weights`): every component its manifest
        names, its rest estimate, driving speech and presets.

        ``generator`` is a folder with a trained Style-Aware Generator (``config.json`` and
        ``model.safetensors``, as ``train/train_generator.py`` writes it); without it, the bundle's own
        Style-Aware Generator is used when its manifest names one.
        """
        weights = resolve_weights(source)
        return cls(StyleModels.from_pretrained(weights), weights, load_generator(weights, generator))

    def save_pretrained(self, folder: str | Path) -> Path:
        """Save every component (each with its own ``save_pretrained``), the rest estimate, the driving speech,
        the presets and the manifest into ``folder``, which :meth:`from_pretrained` loads back."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        models, motion = self.style_models, self.motion_model
        components: dict[str, str] = {}

        def save(name: str, module) -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                module.save_pretrained(folder / name)
            components[name] = type(module).__name__
            card = self.weights / name / "README.md" if self.weights is not None else None
            if card is not None and card.is_file():  # the component's own model card (provenance, licence)
                shutil.copy2(card, folder / name / "README.md")

        if motion.speech_encoder is not None:  # stored as the bundle stores it (Whisper's float16 values)
            speech = copy.deepcopy(motion.speech_encoder)
            save("speech_encoder", speech.to(getattr(torch, speech.config.storage_dtype)))
        if motion.apc is not None:
            save("apc_encoder", motion.apc)
        for name, generator in zip(motion.generator_names, motion.generators, strict=True):
            save(name, generator)
        save("head_pose_model", motion.head_pose)
        if models.style_network is not None:
            save("style_transfer", models.style_network)
        if self.generator is not None:
            save(GENERATOR_FOLDER, self.generator)
        # the bundle's files (each already its saved form, with its header) are copied; parts built in
        # Python, without a bundle behind them, are saved from the objects
        source = WeightsIndex.read(self.weights) if self.weights is not None else None
        files: dict[str, str] = {}
        for role, relative in (source.files.items() if source is not None else ()):
            path = source.file(role)
            if path is None:
                continue
            if path.is_dir():
                shutil.copytree(path, folder / relative, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
            else:
                (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, folder / relative)
            files[role] = relative
        if "rest_estimate" not in files:
            (models.rest_estimate or RestEstimate.from_pretrained()).save(folder / "rest_estimate.safetensors")
            files["rest_estimate"] = "rest_estimate.safetensors"
        if "driving_speech" not in files and models.driving_speech is not None:
            samples = np.round(np.clip(models.driving_speech, -1, 1 - 2**-15) * 32768).astype(np.int16)
            save_file({"audio": samples}, str(folder / "driving_speech.safetensors"))
            files["driving_speech"] = "driving_speech.safetensors"
        if "presets" not in files and models.presets is not None:
            shutil.copytree(models.presets, folder / "presets", dirs_exist_ok=True)  # a pack file is the saved pack
            files["presets"] = "presets"
        if self.weights is not None and (self.weights / "README.md").is_file():
            shutil.copy2(self.weights / "README.md", folder / "README.md")  # the model card
        write_index(folder, components, files)
        return folder

    def __call__(
        self,
        image: str | Path | np.ndarray,
        audio: str | Path | np.ndarray,
        output: str | Path | None = None,
        options: AnimateOptions | None = None,
        *,
        style: str | Path | StylePack | None = None,
        max_seconds: float | None = DEFAULT_MAX_SECONDS,
        max_output_pixels: int | None = DEFAULT_MAX_OUTPUT_PIXELS,
        overwrite: bool = False,
        contact_sheet: bool = False,
        progress: Callable[[int, int], None] | None = None,
        style_progress: Callable[[str, int, int], None] | None = None,
        **controls,
    ) -> AnimationResult:
        """Animate ``image`` (a path or an (H, W, 3) uint8 RGB array) speaking ``audio``.

        ``audio`` is a path (any format :func:`~stylehead.media.read_audio` takes) or (N,) float32
        samples at 16 kHz. ``output`` is the mp4 to write (default: a new temporary folder); an
        existing file is kept unless ``overwrite``. ``progress(done, total)`` is called per frame.
        The same inputs and ``seed`` give the same video.

        ``options`` (:class:`~stylehead.options.AnimateOptions`) are the user's controls; any of them
        may also be given by name (``seed=1, mouth_scale=1.2``), which wins. ``style`` is a preset name
        (:meth:`preset_names`), a style pack file, a :class:`~stylehead.style.pack.StylePack`, a
        reference video, which is learned first (``style_progress(stage, done, total)`` follows that), or
        a Hub repo id (``owner/name``, ``owner/name@revision``: :func:`~stylehead.style.library.load_style`).
        None: the default motion. Audio longer than ``max_seconds`` and, with ``size="original"``, a
        portrait of more than ``max_output_pixels`` are refused before any work (None: no limit).
        """
        started = time.perf_counter()
        options = (options or AnimateOptions()).replace(**controls).validate()
        timings: dict[str, float] = {}
        notes: list[str] = []
        self._check_renderer(options.renderer)
        inputs = tuple(Path(p) for p in (image, audio) if isinstance(p, (str, Path)))
        if output is None:
            output = Path(tempfile.mkdtemp(prefix="stylehead-")) / "talking_head.mp4"
        output = check_writable(output, overwrite=overwrite, inputs=inputs, suffixes=(".mp4",))
        sheet_path = contact_sheet_path(output) if contact_sheet else None
        if sheet_path is not None:
            check_writable(sheet_path, overwrite=overwrite, inputs=inputs)

        samples = self._read_audio(audio, max_seconds, notes)
        frames, pack = self._prepare(image, options, style, max_output_pixels, style_progress, notes, timings,
                                     started)  # fmt: skip
        with _timed(timings, "motion"):
            motion = self.motion(samples, options, pack)
            targets = frames.targets(motion)
        self._render(frames, targets, motion, samples, output, sheet_path, overwrite, progress, timings)
        timings["total"] = time.perf_counter() - started
        return AnimationResult(output, motion, targets.landmarks, float(options.fps), frames.size, timings,
                               sheet_path, notes, pack)  # fmt: skip

    def _prepare(self, image, options: AnimateOptions, style, max_output_pixels: int | None, style_progress,
                 notes: list[str], timings: dict[str, float], started: float):  # fmt: skip
        """(the renderer of the portrait with the style's expression, the style or None): the work before motion."""
        picture, name = self._read_portrait(image, options, max_output_pixels)
        timings["read"] = time.perf_counter() - started
        with _timed(timings, "face"):
            portrait = Portrait.from_image(picture, name, self.style_models.rest_estimate)
        if portrait.num_faces > 1:
            notes.append(f"{portrait.num_faces} faces were found in {name}; the largest one is animated.")
        pack = None
        if style is not None:
            with _timed(timings, "style"):
                pack = load_style(style, self.style_models, progress=style_progress)
            notes += [f"The style {pack.name!r} could not learn {item}." for item in pack.not_learned]
        with _timed(timings, "face"):
            portrait = styled_portrait(portrait, pack, options.style_strength)  # the style's expression, on this face
            frames = self._renderer(options.renderer, portrait, RenderConfig(mode=options.mode,
                                    size=parse_size(options.size)), pack)  # fmt: skip
        return frames, pack

    def live_session(
        self,
        image: str | Path | np.ndarray,
        options: AnimateOptions | None = None,
        *,
        style: str | Path | StylePack | None = None,
        max_output_pixels: int | None = DEFAULT_MAX_OUTPUT_PIXELS,
        style_progress: Callable[[str, int, int], None] | None = None,
        context: float = LIVE_CONTEXT_SECONDS,
        speech_lookahead: int = LIVE_SPEECH_LOOKAHEAD,
        **controls,
    ) -> LiveSession:
        """A live session animating ``image`` as audio is pushed into it (:class:`~stylehead.live.LiveSession`).

        ``options``, ``style`` and the controls are those of :meth:`__call__` (the warp renderer only).
        ``context`` (seconds of audio each speech-encoder window holds before the new frames) and
        ``speech_lookahead`` (60-fps frames the encoder hears past a frame) trade delay and cost for
        fidelity to the offline path: ``benchmarks/live_latency.py`` measures them.
        """
        options = (options or AnimateOptions()).replace(**controls).validate()
        if options.renderer != "warp":
            raise StyleheadError("A live session draws with the warp renderer; the neural one is too slow for live "
                                 "video on a CPU. Leave the renderer at warp.")  # fmt: skip
        if options.size == "original":
            raise StyleheadError("A live session draws 256- or 512-pixel frames (a photo's own size is too slow to "
                                 "draw 25 times a second); choose size 256 or 512.")  # fmt: skip
        notes: list[str] = []
        frames, pack = self._prepare(image, options, style, max_output_pixels, style_progress, notes, {},
                                     time.perf_counter())  # fmt: skip
        model, motion_controls = self._motion_model(options, pack)
        stream = MotionStream(model, motion_controls, self.style_models.driving_speech, context, speech_lookahead)
        return LiveSession(frames, stream, options.fps, notes)

    def stream(
        self,
        image: str | Path | np.ndarray,
        audio_chunks: Iterable[np.ndarray],
        options: AnimateOptions | None = None,
        *,
        style: str | Path | StylePack | None = None,
        **controls,
    ) -> Iterator[LiveFrame]:
        """Frames for ``audio_chunks`` ((N,) float32 16 kHz each) as they come: a :meth:`live_session` fed
        chunk by chunk, then finished."""
        session = self.live_session(image, options, style=style, **controls)
        for chunk in audio_chunks:
            yield from session.push(chunk)
        yield from session.finish()

    def _motion_model(self, options: AnimateOptions, pack: StylePack | None) -> tuple[AudioToMotion, MotionControls]:
        """The motion model (with the style's weights) and the controls for ``options``."""
        controls = MotionControls(
            mouth_scale=options.mouth_scale, head_motion_scale=options.head_motion_scale,
            temperature=options.temperature, still=options.still, seed=options.seed,
            blinks=BlinkConfig(rate_per_minute=options.blink_rate) if options.blink_rate is not None else None,
        )  # fmt: skip
        if pack is None:
            return self.motion_model, controls
        return styled(self.motion_model, pack, controls, options.blink_rate, options.style_strength)

    def motion(self, samples: np.ndarray, options: AnimateOptions, pack: StylePack | None = None) -> Motion:
        """The motion of one video: the audio's (shaped by the style, when there is one) at the video's frame
        rate, lasting as long as the audio to the frame (never longer: the writer cuts at the sound's end)."""
        motion_model, controls = self._motion_model(options, pack)
        motion = resample_motion(motion_model(samples, controls), options.fps)
        return fit_length(motion, max(1, int(len(samples) * options.fps // SAMPLE_RATE)))

    def _check_renderer(self, renderer: str) -> None:
        if renderer not in self.renderers:
            raise StyleheadError("The neural renderer has no weights here; train them with train/train_generator.py "
                                 "and pass their folder (--generator), or use the warp renderer.")  # fmt: skip

    @staticmethod
    def _read_audio(audio: str | Path | np.ndarray, max_seconds: float | None, notes: list[str]) -> np.ndarray:
        """(N,) float32 16 kHz samples, checked: not empty, finite, within ``max_seconds``."""
        samples = read_audio(audio, max_seconds=max_seconds) if not isinstance(audio, np.ndarray) else audio
        samples = np.asarray(samples, np.float32)
        if samples.size == 0:
            raise StyleheadError("The audio is empty; give a clip with sound in it.")
        if samples.size < MIN_AUDIO_SECONDS * SAMPLE_RATE:
            raise StyleheadError(f"The audio is {samples.size / SAMPLE_RATE:.2f} s long, too short for a video; "
                                 f"give at least {MIN_AUDIO_SECONDS:g} s.")  # fmt: skip
        if not np.isfinite(samples).all():
            raise StyleheadError("The audio holds samples that are not numbers (NaN or infinite); export it again.")
        if max_seconds is not None and len(samples) > max_seconds * SAMPLE_RATE:
            raise StyleheadError(f"The audio is {len(samples) / SAMPLE_RATE:.0f} s long; the limit is "
                                 f"{max_seconds:.0f} s. Cut it shorter.")  # fmt: skip
        if np.abs(samples).max() < 1e-4:
            notes.append("The audio is silent; the mouth stays closed.")
        return samples

    @staticmethod
    def _read_portrait(image: str | Path | np.ndarray, options: AnimateOptions, max_output_pixels: int | None
                       ) -> tuple[np.ndarray, str]:  # fmt: skip
        """The (H, W, 3) picture and its name, checked against the output pixel limit."""
        name = Path(image).name if isinstance(image, (str, Path)) else "the portrait"
        picture = read_image(image) if not isinstance(image, np.ndarray) else image
        height, width = picture.shape[:2]
        if options.size == "original" and max_output_pixels is not None and width * height > max_output_pixels:
            raise StyleheadError(f"{name} is {width}x{height} pixels and size 'original' keeps them all; the limit "
                                 f"is {max_output_pixels:,} pixels a frame, so choose size 512 or 256.")  # fmt: skip
        return picture, name

    @staticmethod
    def _render(frames, targets, motion: Motion, samples: np.ndarray, output: Path, sheet_path: Path | None,
                overwrite: bool, progress: Callable[[int, int], None] | None, timings: dict[str, float]
                ) -> None:  # fmt: skip
        """Draw and encode every frame (each goes straight to the encoder), then put the video and its contact
        sheet in place together (under the folder's lock: they come from one run, whoever else writes there)."""
        count = len(motion)
        render_time = encode_time = 0.0
        sheet_at = set(np.linspace(0, count - 1, min(CONTACT_SHEET_FRAMES, count)).round().astype(int).tolist())
        sheet: list[np.ndarray] = []
        sheet_partial = partial_path(sheet_path) if sheet_path is not None else None
        try:
            with VideoWriter(output, fps=motion.fps, audio=samples, overwrite=overwrite) as writer:
                for index in range(count):
                    mark = time.perf_counter()
                    frame = frames.render(targets.landmarks[index], targets.head[index])
                    render_time += time.perf_counter() - mark
                    if sheet_partial is not None and index in sheet_at:
                        sheet.append(frame.copy())
                    mark = time.perf_counter()
                    writer.write(frame)
                    encode_time += time.perf_counter() - mark
                    if progress is not None:
                        progress(index + 1, count)
                mark = time.perf_counter()
                writer.finish()
                encode_time += time.perf_counter() - mark  # finishing the file
                if sheet_partial is not None:
                    write_contact_sheet(sheet, sheet_partial)
                with output_lock(output.parent):
                    writer.commit()
                    if sheet_partial is not None:
                        _commit_beside(sheet_partial, sheet_path, output, overwrite)
        finally:
            if sheet_partial is not None:
                sheet_partial.unlink(missing_ok=True)
        timings["render"], timings["encode"] = render_time, encode_time

    def _renderer(self, name: str, portrait: Portrait, config: RenderConfig, pack: StylePack | None):
        """The warp renderer, or the neural one with the style's reference shapes (the neutral preset's without one)."""
        if name == "warp":
            return WarpRenderer(portrait, config)
        references = (pack or load_style("neutral", self.style_models)).reference_face_points
        device = "cuda" if torch.cuda.is_available() else "cpu"
        return NeuralRenderer(portrait, self.generator, references, config, device=device)


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[stage]``."""
    mark = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - mark


def load_generator(weights: Path | None, folder: str | Path | None, in_channels: int | None = None
                   ) -> StyleAwareGenerator | None:  # fmt: skip
    """The Style-Aware Generator in ``folder`` (or the one the bundle names), or None when there is none.

    ``in_channels`` (default: the Style-Aware Generator's 16) is checked, so that a Style Mapping
    network given in its place is refused with a clear error.
    """
    folder = generator_folder(weights, folder)
    if folder is None:
        return None
    generator = load_component(StyleAwareGenerator, folder)  # refuses a folder without config and weights
    expected = in_channels or INPUT_CHANNELS
    if generator.config.in_channels != expected:
        raise StyleheadError(f"{folder} holds a network reading {generator.config.in_channels} channels, not "
                             f"{expected}; it is not the network asked for here.")  # fmt: skip
    return generator


def _commit_beside(partial: Path, path: Path, video: Path, overwrite: bool) -> None:
    """Put a file made with ``video`` in place; if it cannot be, the video just put there goes too (never one
    without the other)."""
    try:
        commit_output(partial, path, overwrite)
    except StyleheadError:
        video.unlink(missing_ok=True)
        raise


def contact_sheet_path(video: Path) -> Path:
    """Where the contact sheet of ``video`` goes: beside it, ``<name>.contact.jpg``."""
    return video.with_suffix(".contact.jpg")


def write_contact_sheet(frames: list[np.ndarray], path: Path, columns: int = 4, width: int = 1024) -> Path:
    """Tile frames (in time order, left to right) into one JPEG about ``width`` pixels wide."""
    rows = -(-len(frames) // columns)
    height, frame_w = frames[0].shape[:2]
    tile_w = max(1, width // columns)
    tile_h = max(1, round(height * tile_w / frame_w))
    sheet = np.full((rows * tile_h, columns * tile_w, 3), 255, np.uint8)
    for i, frame in enumerate(frames):
        r, c = divmod(i, columns)
        sheet[r * tile_h : (r + 1) * tile_h, c * tile_w : (c + 1) * tile_w] = cv2.resize(
            frame, (tile_w, tile_h), interpolation=cv2.INTER_AREA
        )
    return write_image(path, sheet)
