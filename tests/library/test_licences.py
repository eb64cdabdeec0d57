from __future__ import annotations

import pytest

from library import licences


@pytest.mark.parametrize(("text", "spdx"), [
    ("SPDX-License-Identifier: CC-BY-SA-4.0", "CC-BY-SA-4.0"),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/", "CC-BY-NC-SA-4.0"),
    ("Licensed under CC BY-NC 3.0", "CC-BY-NC-3.0"),
    ("Creative Commons - Attribution - Non-Commercial - Share Alike", "CC-BY-NC-SA-4.0"),
    ("Creative Commons - Public Domain Dedication", "CC0-1.0"),
    ("MIT License\n\nCopyright (c) 2024", "MIT"),
    ("GNU General Public License as published by ... either version 3 of", "GPL-3.0-or-later"),
    ("no licence words here", ""),
])
def test_licence_ids(text: str, spdx: str) -> None:
    assert licences.detect_licence(text) == spdx


def test_thingiverse_readme_gives_title_creator_url_and_licence() -> None:
    readme = ("Cable Clip by maker_jane on Thingiverse: https://www.thingiverse.com/thing:12345\n\n"
              "Summary:\nA clip.\n")
    lic = "Cable Clip by maker_jane is licensed under the Creative Commons - Attribution - "\
          "Share Alike license."
    a = licences.detect({"README.txt": readme, "LICENSE.txt": lic})
    assert (a.title, a.creator, a.licence) == ("Cable Clip", "maker_jane", "CC-BY-SA-4.0")
    assert a.source_url == "https://www.thingiverse.com/thing:12345"
