"""Piecewise-affine warping of an image by a triangle mesh over its landmarks.

The mesh is a Delaunay triangulation of the source points (face landmarks plus fixed anchors along
the image border, so the background stays put), computed once per portrait. To render a frame the
same triangles are placed on the target points; every target pixel finds its triangle in an index
image rasterised by OpenCV, maps back to the source through that triangle's affine transform, and
one ``cv2.remap`` samples the portrait. The cost is a few milliseconds at 512×512 whatever the
number of triangles.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mesh:
    """Triangles over a fixed set of source points."""

    points: np.ndarray  # (N, 2) float64 source positions, pixels
    triangles: np.ndarray  # (M, 3) int32 vertex indices


def border_anchors(width: int, height: int, per_side: int = 4) -> np.ndarray:
    """(4·per_side, 2) points spread along the image border (corners included)."""
    xs = np.linspace(0, width - 1, per_side + 1)
    ys = np.linspace(0, height - 1, per_side + 1)
    top = np.stack([xs[:-1], np.zeros(per_side)], 1)
    right = np.stack([np.full(per_side, width - 1.0), ys[:-1]], 1)
    bottom = np.stack([xs[::-1][:-1], np.full(per_side, height - 1.0)], 1)
    left = np.stack([np.zeros(per_side), ys[::-1][:-1]], 1)
    return np.concatenate([top, right, bottom, left])


def face_ring(landmarks: np.ndarray, scale: float = 1.5, count: int = 20) -> np.ndarray:
    """(count, 2) points on an ellipse around the face, ``scale`` × its landmark extent.

    Held fixed while the landmarks move, the ring keeps every deformation local to the face, so
    that the hair, the neck and the background outside it do not stretch.
    """
    centre = (landmarks.min(0) + landmarks.max(0)) / 2
    half = (landmarks.max(0) - landmarks.min(0)) / 2 * scale
    angles = np.linspace(0, 2 * np.pi, count, endpoint=False)
    return centre + half * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def build_mesh(points: np.ndarray) -> Mesh:
    """Delaunay triangulation of (N, 2) source points."""
    from scipy.spatial import Delaunay

    points = np.asarray(points, dtype=np.float64)
    return Mesh(points=points, triangles=Delaunay(points).simplices.astype(np.int32))


def _affines(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(M, 2, 3) affine transforms taking each target triangle (M, 3, 2) onto its source triangle."""
    ones = np.ones((*target.shape[:2], 1))
    target_h = np.concatenate([target, ones], axis=2)  # (M, 3, 3)
    # Solve target_h @ X = source for X (3, 2); flat target triangles (a closed mouth, a shut eye)
    # cover no pixel, but get a least-squares solution so that nothing is undefined.
    flat = np.abs(np.linalg.det(target_h)) < 1e-6
    solution = np.empty((len(target), 3, 2))
    solution[~flat] = np.linalg.solve(target_h[~flat], source[~flat])
    if flat.any():
        solution[flat] = np.linalg.pinv(target_h[flat]) @ source[flat]
    return solution.transpose(0, 2, 1)


def warp_maps(mesh: Mesh, target_points: np.ndarray, region: tuple[int, int, int, int], step: int = 1
              ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(map_x, map_y) float32 source coordinates for every pixel of ``region`` (x0, y0, x1, y1).

    Pixels outside every target triangle map to themselves (the picture stays as it is there). With
    ``step`` > 1 the triangles are rasterised and the transforms evaluated on a grid ``step`` times
    coarser, and the maps are resized to full resolution: for large images, where per-pixel work
    would dominate.
    """
    import cv2

    x0, y0, x1, y1 = region
    width, height = x1 - x0, y1 - y0
    grid_w, grid_h = -(-width // step), -(-height // step)
    target = np.asarray(target_points, dtype=np.float64)
    triangles_target = target[mesh.triangles]  # (M, 3, 2)
    triangles_source = mesh.points[mesh.triangles]
    index = np.full((grid_h, grid_w), len(mesh.triangles), dtype=np.int32)  # the last row: outside
    # Coarse samples sit at the centres of step × step blocks: where cv2.resize puts them back.
    centre = (step - 1) / 2
    shifted = np.round((triangles_target - [x0 + centre, y0 + centre]) / step * 16).astype(np.int32)
    for i, triangle in enumerate(shifted):
        cv2.fillConvexPoly(index, triangle, i, lineType=cv2.LINE_8, shift=4)
    coefficients = _affines(triangles_source, triangles_target).reshape(-1, 6)
    outside = np.array([[1, 0, 0, 0, 1, 0]], dtype=np.float64)  # identity: uncovered pixels keep their own
    coefficients = np.concatenate([coefficients, outside]).astype(np.float32)
    xs, ys = np.meshgrid(np.arange(grid_w, dtype=np.float32) * step + np.float32(x0 + centre),
                         np.arange(grid_h, dtype=np.float32) * step + np.float32(y0 + centre))  # fmt: skip
    chosen = coefficients[index]  # (h, w, 6)
    map_x = chosen[..., 0] * xs + chosen[..., 1] * ys + chosen[..., 2]
    map_y = chosen[..., 3] * xs + chosen[..., 4] * ys + chosen[..., 5]
    # A grid sample on a triangle's rasterised edge may lie just outside it, where a thin triangle's
    # transform runs far off: keep every sample near its source triangle's box.
    # (and never beyond the mesh's own extent: with anchors along the border, the picture)
    slack = step + 1.0  # px: a rasterised edge reaches this far past the triangle
    extent_low, extent_high = mesh.points.min(0), mesh.points.max(0)
    low = np.maximum(triangles_source.min(1) - slack, extent_low)
    high = np.minimum(triangles_source.max(1) + slack, extent_high)
    low = np.concatenate([low, [[-np.inf, -np.inf]]]).astype(np.float32)[index]
    high = np.concatenate([high, [[np.inf, np.inf]]]).astype(np.float32)[index]
    map_x = np.clip(map_x, low[..., 0], high[..., 0])
    map_y = np.clip(map_y, low[..., 1], high[..., 1])
    if step > 1:  # resize the (smooth) displacement, not the coordinates
        size = (grid_w * step, grid_h * step)
        full_x, full_y = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
        map_x = cv2.resize(map_x - xs, size, interpolation=cv2.INTER_LINEAR)[:height, :width] + full_x
        map_y = cv2.resize(map_y - ys, size, interpolation=cv2.INTER_LINEAR)[:height, :width] + full_y
    return map_x, map_y


def pin_border(map_x: np.ndarray, map_y: np.ndarray, region: tuple[int, int, int, int], size: tuple[int, int]) -> None:
    """Make the rows and columns of ``region`` that lie on the image border read themselves, in place: a
    mesh with anchors along the border holds it still, but a coarse grid's interpolation would not."""
    (x0, y0, x1, y1), (width, height) = region, size
    for rows, cols, edge in ((0, slice(None), y0 == 0), (-1, slice(None), y1 == height),
                             (slice(None), 0, x0 == 0), (slice(None), -1, x1 == width)):  # fmt: skip
        if edge:
            map_x[rows, cols] = np.arange(x0, x1, dtype=np.float32)[cols]
            map_y[rows, cols] = np.arange(y0, y1, dtype=np.float32)[rows]


def warp_image(
    image: np.ndarray, mesh: Mesh, target_points: np.ndarray, region: tuple[int, int, int, int] | None = None,
    step: int = 1, out: np.ndarray | None = None, pinned_border: bool = False,
) -> np.ndarray:  # fmt: skip
    """Move the image so that the mesh's source points land on ``target_points`` ((N, 2) pixels).

    ``region`` (x0, y0, x1, y1) limits the work to a box outside which the caller guarantees no
    point moves (for example the box of a fixed :func:`face_ring`): the rest of the image is copied.
    Pixels outside every target triangle keep their own value; with border anchors in the mesh the
    triangles cover the whole image. No pixel is ever sampled from outside the image: source
    coordinates are clamped to it. ``step``: see :func:`warp_maps`. ``out``: an array of the
    image's shape to write into (the pixels outside ``region`` are copied into it).
    ``pinned_border``: the mesh holds the image border still (anchors along it), so the border rows
    and columns are copied exactly instead of taking the coarse grid's interpolated motion.
    """
    import cv2

    height, width = image.shape[:2]
    x0, y0, x1, y1 = region if region is not None else (0, 0, width, height)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if out is None:
        out = image.copy()
    else:
        out[...] = image
    if x1 <= x0 or y1 <= y0:
        return out
    map_x, map_y = warp_maps(mesh, target_points, (x0, y0, x1, y1), step)
    if pinned_border and step > 1:
        pin_border(map_x, map_y, (x0, y0, x1, y1), (width, height))
    np.clip(map_x, 0, width - 1, out=map_x)
    np.clip(map_y, 0, height - 1, out=map_y)
    out[y0:y1, x0:x1] = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out
