from __future__ import annotations

import io

import numpy as np
from PIL import Image

from library import mesh, samples, thumbnail


def test_render_shows_the_model_centred_with_shading() -> None:
    m = mesh.parse_stl(samples.stl_binary(*samples.box(20, 20, 20)))
    img = thumbnail.render(m)
    assert img.shape == (256, 256, 4)
    alpha = img[:, :, 3] > 0
    assert 0.2 < alpha.mean() < 0.9          # the box covers a good part, not all
    assert not alpha[0].any() and not alpha[-1].any()   # a margin all round
    ys, xs = np.nonzero(alpha)
    assert abs(xs.mean() - 128) < 20 and abs(ys.mean() - 128) < 20
    # Three visible faces, three distinct shades.
    shades = {tuple(c) for c in img[alpha][:, :3]}
    assert len(shades) >= 3


def test_nearer_triangles_hide_farther_ones() -> None:
    # A small box in front of (towards the viewer from) a big one.
    big = samples.translate(samples.box(40, 4, 40), 0, 30, 0)
    small = samples.box(10, 4, 10)
    m = mesh.parse_stl(samples.stl_binary(*samples.combine(big, small)))
    img = thumbnail.render(m)
    only_big = thumbnail.render(mesh.parse_stl(samples.stl_binary(*big)))
    assert not np.array_equal(img, only_big)


def test_dense_mesh_has_no_holes() -> None:
    m = mesh.parse_stl(samples.stl_binary(*samples.sphere_with_triangles(200_000)))
    alpha = thumbnail.render(m)[:, :, 3] > 0
    inner = alpha[100:156, 100:156]
    assert inner.all()


def test_png_round_trip_and_embedded_images() -> None:
    m = mesh.parse_stl(samples.stl_binary(*samples.box()))
    png = thumbnail.to_png(thumbnail.render(m))
    assert Image.open(io.BytesIO(png)).size == (256, 256)
    big = io.BytesIO()
    Image.new("RGB", (600, 300), "red").save(big, "JPEG")
    out = thumbnail.normalise_image(big.getvalue())
    assert out is not None and Image.open(io.BytesIO(out)).size == (256, 128)
    assert thumbnail.normalise_image(b"not an image") is None
