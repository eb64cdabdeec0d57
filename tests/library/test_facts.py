from __future__ import annotations

import numpy as np
import pytest
import trimesh

from library import facts, mesh, samples


def _facts(v: np.ndarray, f: np.ndarray) -> facts.MeshFacts:
    return facts.compute(mesh.parse_stl(samples.stl_binary(v, f)))


def test_box_facts_are_exact() -> None:
    fx = _facts(*samples.box(10, 20, 30))
    assert (fx.triangles, fx.size_x, fx.size_y, fx.size_z) == (12, 10, 20, 30)
    assert fx.volume == pytest.approx(6000)
    assert fx.area == pytest.approx(2 * (200 + 300 + 600))
    assert fx.watertight and fx.bodies == 1


def test_facts_agree_with_trimesh_on_two_bodies() -> None:
    v, f = samples.combine(samples.uv_sphere(10, 12, 24),
                           samples.translate(samples.cylinder(), 40, 0, 0))
    fx = _facts(v, f)
    ref = trimesh.Trimesh(v, f)
    assert fx.volume == pytest.approx(ref.volume, rel=1e-4)
    assert fx.area == pytest.approx(ref.area, rel=1e-4)
    assert fx.watertight == ref.is_watertight is True
    assert fx.bodies == len(ref.split(only_watertight=False)) == 2


def test_open_mesh_is_not_watertight() -> None:
    v, f = samples.box()
    fx = _facts(v, f[:-1])
    assert not fx.watertight


def test_many_separate_bodies_are_counted() -> None:
    parts = [samples.translate(samples.box(1, 1, 1), 3 * i, 0, 0) for i in range(25)]
    assert _facts(*samples.combine(*parts)).bodies == 25


def test_fingerprint_survives_reexport_but_not_a_different_mesh() -> None:
    v, f = samples.uv_sphere(10, 12, 24)
    a = facts.compute(mesh.parse_stl(samples.stl_binary(v, f)))
    # Re-exported: shuffled triangle order, rotated vertex order, ASCII, moved.
    rng = np.random.default_rng(0)
    f2 = f[rng.permutation(len(f))][:, [1, 2, 0]]
    b = facts.compute(mesh.parse_stl(samples.stl_ascii(v + np.float32(5), f2)))
    assert a.fingerprint == b.fingerprint
    c = facts.compute(mesh.parse_stl(samples.stl_binary(v * np.float32(1.1), f)))
    assert c.fingerprint != a.fingerprint
