"""The neural path (paper §4.2–4.3): Style Mapping's ISPs, the Style-Aware Generator, its discriminator and losses,
the neural renderer in the pipeline, and the renderer evaluation. Tiny configs: seconds on a CPU."""

import numpy as np
import pytest
import torch

from stylehead.render.discriminator import DiscriminatorConfig, MultiscaleDiscriminator
from stylehead.render.generator import GeneratorConfig, StyleAwareGenerator
from stylehead.render.neural_inputs import INPUT_CHANNELS, region_masks, region_weights

TINY = GeneratorConfig(channels=(8, 16, 16), resolution=64)


@pytest.fixture(scope="module")
def tiny_generator_folder(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("weights") / "style_aware_generator"
    StyleAwareGenerator(TINY).save_pretrained(folder)
    return folder


def test_paper_generator_has_eight_levels_and_the_papers_channels():
    generator = StyleAwareGenerator(GeneratorConfig())
    assert generator.levels == 8
    assert [block[0].out_channels for block in generator.down] == [64, 128, 256, 512, 512, 512, 512, 512]
    assert generator.down[0][0].in_channels == INPUT_CHANNELS == 16  # facial map + source + four ISPs


def test_generator_and_discriminator_shapes_and_backward():
    generator = StyleAwareGenerator(TINY)
    discriminator = MultiscaleDiscriminator(DiscriminatorConfig(ndf=8, layers=2, scales=2))
    inputs = torch.randn(2, INPUT_CHANNELS, 64, 64)
    fake = generator(inputs)
    assert fake.shape == (2, 3, 64, 64) and fake.abs().max() <= 1
    outputs = discriminator(torch.cat([inputs, fake], dim=1))
    assert len(outputs) == 2 and outputs[0][-1].shape[1] == 1
    assert outputs[1][-1].shape[-1] < outputs[0][-1].shape[-1]  # the second scale sees half the resolution
    loss = sum(scale[-1].mean() for scale in outputs)
    loss.backward()
    assert all(p.grad is not None for p in generator.parameters())
    with pytest.raises(ValueError, match="multiples of 8"):
        generator(torch.randn(2, INPUT_CHANNELS, 60, 60))


def test_generator_save_load_round_trip(tmp_path):
    from stylehead.pipeline import load_generator

    generator = StyleAwareGenerator(TINY).eval()
    generator.save_pretrained(tmp_path / "g")
    loaded = load_generator(None, tmp_path / "g")
    inputs = torch.randn(1, INPUT_CHANNELS, 64, 64)
    with torch.no_grad():
        assert torch.equal(generator(inputs), loaded(inputs))
    assert tuple(loaded.config.channels) == (8, 16, 16)


def test_discriminator_save_load_round_trip(tmp_path):
    from stylehead.safe_loading import load_component

    discriminator = MultiscaleDiscriminator(DiscriminatorConfig(ndf=8, layers=2)).eval()
    discriminator.save_pretrained(tmp_path / "d")
    loaded = load_component(MultiscaleDiscriminator, tmp_path / "d")
    pairs = torch.randn(2, INPUT_CHANNELS + 3, 32, 32)
    with torch.no_grad():
        for ours, theirs in zip(discriminator(pairs), loaded(pairs), strict=True):
            assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_losses_vanish_for_a_perfect_generator_and_not_otherwise():
    from stylehead.render import generator_losses as losses

    discriminator = MultiscaleDiscriminator(DiscriminatorConfig(in_channels=3, ndf=8, layers=2)).eval()
    real = torch.rand(2, 3, 32, 32) * 2 - 1
    same, other = discriminator(real), discriminator(real.flip(-1))
    assert losses.feature_matching(same, same).item() == 0
    assert losses.feature_matching(other, same).item() > 0
    ones = [[torch.ones(2, 1, 4, 4)]]
    assert losses.lsgan(ones, real=True).item() == 0 and losses.lsgan(ones, real=False).item() == 1
    weights = torch.zeros(2, 1, 32, 32)
    weights[..., 10:20, 10:20] = 5.0
    fake = real.clone()
    fake[..., :5, :5] += 1  # wrong only where the weight is 0 (background)
    assert losses.photometric(fake, real, weights).item() == 0
    fake[..., 12, 12] += 1  # wrong inside the weighted region
    assert losses.photometric(fake, real, weights).item() > 0


def test_vgg19_features_load_torchvision_layout_and_refuse_others(tmp_path):
    from safetensors.torch import save_file

    from stylehead.render.generator_losses import VGG19_LAYERS, VGG19Features

    state, index, channels = {}, 0, 3
    for item in VGG19_LAYERS:
        if item == "M":
            index += 1
            continue
        state[f"features.{index}.weight"] = torch.randn(item, channels, 3, 3) * 0.01
        state[f"features.{index}.bias"] = torch.zeros(item)
        channels, index = item, index + 2
    save_file(state, str(tmp_path / "vgg19.safetensors"))
    taps = VGG19Features(tmp_path / "vgg19.safetensors")(torch.zeros(1, 3, 64, 64))
    assert [t.shape[1] for t in taps] == [64, 128, 256, 512, 512]
    del state["features.0.weight"]
    save_file(state, str(tmp_path / "broken.safetensors"))
    with pytest.raises(RuntimeError, match=r"features\.0\.weight"):
        VGG19Features(tmp_path / "broken.safetensors")


def test_region_weights_follow_the_papers_values(portrait):
    from stylehead.face.align import transform_points
    from stylehead.face.detection import find_face
    from stylehead.render.neural_inputs import crop_matrix, cut

    face = find_face(portrait)
    matrix = crop_matrix(face.landmarks, 128)
    landmarks = transform_points(face.landmarks.astype(np.float64), matrix)
    weights = region_weights(landmarks, 128)
    assert set(np.unique(weights)) == {0.0, 1.0, 3.0, 5.0}
    masks = region_masks(landmarks, 128)
    mouth_centre = np.round(landmarks[48:68].mean(0)).astype(int)
    assert weights[mouth_centre[1], mouth_centre[0]] == 5.0
    assert weights[0, 0] == 0.0  # the crop's corner is background
    assert masks["face"].sum() > masks["mouth"].sum() > 0
    assert cut(portrait, matrix, 128).shape == (128, 128, 3)


def test_style_patterns_show_the_references_expressions(portrait):
    """Eq. 2: the portrait with each reference's expression; the "o" pattern's mouth is open, "none"'s closed."""
    from stylehead.face.landmarks import mouth_opening
    from stylehead.render.style_mapping import reference_expressions, style_patterns
    from stylehead.render.warp_renderer import Portrait, RenderConfig, WarpRenderer
    from stylehead.style.models import StyleModels
    from stylehead.style.pack import StylePack
    from stylehead.style.references import TEMPLATES

    references = StylePack.load(StyleModels.from_pretrained().presets / "neutral.safetensors").reference_face_points
    renderer = WarpRenderer(Portrait.from_image(portrait), RenderConfig(size=256))
    expressions = reference_expressions(references, renderer.portrait.rest)
    assert np.abs(expressions[0]).max() == 0  # "none" is the reference's own rest
    patterns = style_patterns(renderer, references)
    assert patterns.images.shape == (4, 256, 256, 3) and patterns.images.dtype == np.uint8
    opening = mouth_opening(patterns.landmarks)
    assert opening[TEMPLATES.index("o")] > opening[TEMPLATES.index("none")] + 0.05
    assert not np.array_equal(patterns.images[0], patterns.images[TEMPLATES.index("o")])


def test_pipeline_neural_renderer_writes_the_video_and_warp_stays_default(portrait_path, tiny_generator_folder,
                                                                          tmp_path):  # fmt: skip
    from stylehead import StyleheadError
    from stylehead.media import probe
    from stylehead.pipeline import StyleHeadPipeline
    from tests.synthetic import tone

    plain = StyleHeadPipeline.from_pretrained()
    assert plain.renderers == ("warp",)
    with pytest.raises(StyleheadError, match="neural renderer has no weights"):
        plain(portrait_path, tone(0.5), tmp_path / "x.mp4", renderer="neural")
    with pytest.raises(StyleheadError, match="must be one of warp, neural"):
        plain(portrait_path, tone(0.5), tmp_path / "x.mp4", renderer="gan")
    pipe = StyleHeadPipeline.from_pretrained(generator=tiny_generator_folder)
    assert pipe.renderers == ("warp", "neural")
    warp = pipe(portrait_path, tone(1.0), tmp_path / "warp.mp4", size=256, seed=1)
    neural = pipe(portrait_path, tone(1.0), tmp_path / "neural.mp4", size=256, seed=1, renderer="neural",
                  contact_sheet=True)  # fmt: skip
    info = probe(neural.video)
    assert info.video_codec == "h264" and info.size == (256, 256)
    assert np.allclose(neural.landmarks, warp.landmarks)  # same motion, only the face's pixels differ
    from stylehead.media import read_video

    frames_warp, _ = read_video(warp.video)
    frames_neural, _ = read_video(neural.video)
    difference = np.abs(frames_warp.astype(int) - frames_neural.astype(int)).mean(-1)[0]
    face = region_masks(neural.landmarks[0], 256)["face"]
    assert difference[face].mean() > 5 * max(difference[~face].mean(), 0.1)  # the face changed, the rest did not


def test_mouth_winner_needs_two_of_three_mouth_metrics():
    from stylehead.evaluation.renderer import mouth_winner

    def scores(l1, psnr, ssim):
        return {"mouth_l1": l1, "mouth_psnr": psnr, "mouth_ssim": ssim}

    assert mouth_winner({"warp": scores(10, 25, 0.7), "neural": scores(11, 24, 0.6)}, ["warp", "neural"]) == "warp"
    assert mouth_winner({"warp": scores(10, 25, 0.7), "neural": scores(9, 26, 0.6)}, ["warp", "neural"]) == "neural"


def test_a_weights_bundle_with_a_generator_offers_the_neural_renderer(tiny_generator_folder, tmp_path):
    """The resolution order of stylehead.hub applies: a bundle folder (local, $STYLEHEAD_WEIGHTS or a Hub
    snapshot) whose manifest names a StyleAwareGenerator gives the pipeline its neural renderer."""
    import shutil

    from stylehead.hub import BUNDLED_WEIGHTS
    from stylehead.pipeline import GENERATOR_FOLDER, StyleHeadPipeline

    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLED_WEIGHTS, bundle, ignore=shutil.ignore_patterns("__pycache__"))
    assert StyleHeadPipeline.from_pretrained(bundle).renderers == ("warp",)
    shutil.copytree(tiny_generator_folder, bundle / GENERATOR_FOLDER)
    assert StyleHeadPipeline.from_pretrained(bundle).renderers == ("warp",)  # a folder the manifest does not name
    StyleHeadPipeline.from_pretrained(bundle, generator=tiny_generator_folder).save_pretrained(tmp_path / "saved")
    pipe = StyleHeadPipeline.from_pretrained(tmp_path / "saved")
    assert pipe.renderers == ("warp", "neural") and tuple(pipe.generator.config.channels) == (8, 16, 16)
