from __future__ import annotations

import numpy as np
import pytest

from library import mesh, samples
from library.errors import FileFormatError, ResourceLimitError
from library.safety import Limits


@pytest.fixture
def sphere() -> tuple[np.ndarray, np.ndarray]:
    return samples.uv_sphere(10.0, 8, 16)


def test_binary_and_ascii_stl_give_the_same_triangles(sphere) -> None:  # type: ignore[no-untyped-def]
    v, f = sphere
    b = mesh.parse_stl(samples.stl_binary(v, f))
    a = mesh.parse_stl(samples.stl_ascii(v, f))
    assert b.count == a.count == len(f)
    np.testing.assert_allclose(a.triangles, b.triangles, atol=1e-5)
    np.testing.assert_array_equal(b.triangles, v[f])


def test_binary_stl_whose_header_starts_with_solid_is_still_binary(sphere) -> None:  # type: ignore[no-untyped-def]
    v, f = sphere
    data = samples.stl_binary(v, f, header=b"solid but binary")
    assert mesh.parse_stl(data).count == len(f)


def test_truncated_stl_is_refused_with_counts(sphere) -> None:  # type: ignore[no-untyped-def]
    data = samples.stl_binary(*sphere)
    with pytest.raises(FileFormatError, match=r"header says 224 triangles .* \(100 triangles\)"):
        mesh.parse_stl(data[: 84 + 50 * 100 + 7])


def test_lying_triangle_count_is_refused(sphere) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(samples.stl_binary(*sphere))
    data[80:84] = np.uint32(10_000).tobytes()
    with pytest.raises(FileFormatError, match="truncated or lying"):
        mesh.parse_stl(bytes(data))


def test_random_bytes_are_not_an_stl() -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(FileFormatError):
        mesh.parse_stl(rng.bytes(5000))
    with pytest.raises(FileFormatError, match="too short"):
        mesh.parse_stl(b"\x01\x02")


def test_ascii_stl_without_endsolid_is_refused(sphere) -> None:  # type: ignore[no-untyped-def]
    data = samples.stl_ascii(*sphere)
    cut = data[: data.rindex(b"endsolid")]
    with pytest.raises(FileFormatError, match="endsolid"):
        mesh.parse_stl(cut)


def test_ascii_stl_with_a_missing_vertex_is_refused(sphere) -> None:  # type: ignore[no-untyped-def]
    data = samples.stl_ascii(*sphere)
    i = data.index(b"vertex")
    j = data.index(b"\n", i)
    with pytest.raises(FileFormatError, match="facets but"):
        mesh.parse_stl(data[:i] + data[j + 1:])


def test_non_finite_coordinates_are_refused_not_dropped(sphere) -> None:  # type: ignore[no-untyped-def]
    v, f = sphere
    v = v.copy()
    v[3, 1] = np.nan
    with pytest.raises(FileFormatError, match=r"\d+ triangle\(s\) have non-finite"):
        mesh.parse_stl(samples.stl_binary(v, f))


def test_empty_stl_is_refused() -> None:
    data = b"\0" * 80 + np.uint32(0).tobytes()
    with pytest.raises(FileFormatError, match="no triangles"):
        mesh.parse_stl(data)


def test_triangle_limit_is_enforced(sphere) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResourceLimitError):
        mesh.parse_stl(samples.stl_binary(*sphere), limits=Limits(max_triangles=10))


def test_obj_polygons_are_fanned_and_negative_indices_work() -> None:
    text = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1/1 2/2 3/3 4/4\nf -4 -2 -1\n"
    m = mesh.parse_obj(text)
    assert m.count == 3
    assert m.faces is not None
    assert m.faces.tolist() == [[0, 1, 2], [0, 2, 3], [0, 2, 3]]


def test_obj_out_of_range_index_is_refused() -> None:
    with pytest.raises(FileFormatError, match="does not exist"):
        mesh.parse_obj(b"v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 9\n")
    with pytest.raises(FileFormatError, match="no faces"):
        mesh.parse_obj(b"hello world\n")
