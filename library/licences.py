"""Licence, creator and source from the LICENSE / README / attribution files
that marketplace downloads carry, as an SPDX id or a Creative Commons id."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Creative Commons: (attribution parts) -> SPDX id, version added below.
_CC = {
    ("by",): "CC-BY", ("by", "sa"): "CC-BY-SA", ("by", "nd"): "CC-BY-ND",
    ("by", "nc"): "CC-BY-NC", ("by", "nc", "sa"): "CC-BY-NC-SA",
    ("by", "nc", "nd"): "CC-BY-NC-ND",
}
_WORDS = {"attribution": "by", "sharealike": "sa", "share alike": "sa", "share-alike": "sa",
          "noncommercial": "nc", "non-commercial": "nc", "non commercial": "nc",
          "noderivatives": "nd", "no derivatives": "nd", "noderivs": "nd",
          "no-derivatives": "nd"}
_SPDX_KNOWN = ("MIT", "Apache-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
               "GPL-3.0-or-later", "LGPL-3.0-or-later", "BSD-2-Clause", "BSD-3-Clause",
               "CC0-1.0", "MPL-2.0", "Unlicense")
LICENCE_CHOICES: tuple[str, ...] = (
    "", *(f"{v}-4.0" for v in _CC.values()), "CC0-1.0", *_SPDX_KNOWN[:8], "proprietary")


@dataclass(slots=True)
class Attribution:
    licence: str = ""
    creator: str = ""
    source_url: str = ""
    title: str = ""


def _cc_id(parts: set[str], version: str | None) -> str | None:
    key = tuple(p for p in ("by", "nc", "sa", "nd") if p in parts)
    base = _CC.get(key)
    return f"{base}-{version or '4.0'}" if base else None


def detect_licence(text: str) -> str:
    """The SPDX id a licence or readme text names, or ''."""
    m = re.search(r"SPDX-License-Identifier:\s*([\w.+-]+)", text)
    if m:
        return m.group(1)
    m = re.search(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)", text, re.I)
    if m:
        cc = _cc_id(set(m.group(1).lower().split("-")), m.group(2))
        if cc:
            return cc
    if re.search(r"creativecommons\.org/publicdomain/zero|\bCC0\b", text, re.I):
        return "CC0-1.0"
    m = re.search(r"\bCC[ -]((?:BY|NC|SA|ND)(?:[ -](?:BY|NC|SA|ND))*)(?:[ -](\d\.\d))?", text)
    if m:
        cc = _cc_id(set(re.split(r"[ -]", m.group(1).lower())), m.group(2))
        if cc:
            return cc
    m = re.search(r"Creative\s+Commons\s*[-:]?\s*(.{0,120})", text, re.I)
    if m:
        tail = m.group(1).lower()
        parts = {v for k, v in _WORDS.items() if k in tail}
        ver = re.search(r"(\d\.\d)", tail)
        if "public domain" in tail:
            return "CC0-1.0"
        cc = _cc_id(parts, ver.group(1) if ver else None)
        if cc:
            return cc
    if re.search(r"\bMIT License\b", text):
        return "MIT"
    if re.search(r"Apache License,?\s+Version 2\.0", text, re.I):
        return "Apache-2.0"
    m = re.search(r"GNU (Lesser )?General Public License.{0,80}?version (\d)", text, re.I | re.S)
    if m:
        return f"{'L' if m.group(1) else ''}GPL-{m.group(2)}.0-or-later"
    return ""


def detect(texts: dict[str, str]) -> Attribution:
    """From the text files of a download (name -> text): licence, creator,
    source URL and title.  Thingiverse's ``README.txt`` starts with
    ``<title> by <creator> on Thingiverse: <url>``; Printables and others put
    a URL and "by <creator>" in their readme or attribution file."""
    out = Attribution()
    ordered = sorted(texts.items(), key=lambda kv: (
        0 if "licen" in kv[0].lower() else 1 if "attribution" in kv[0].lower() else 2))
    for _name, text in ordered:
        if not out.licence:
            out.licence = detect_licence(text)
        if not out.source_url:
            m = re.search(r"https?://[^\s<>\"')]+", text)
            if m:
                out.source_url = m.group(0).rstrip(".,")
        if not out.creator:
            m = re.search(r"^(.{1,200}?) by (.{1,100}?)(?: on (?:Thingiverse|Printables|"
                          r"MakerWorld|Thangs|Cults)| is licensed|\s*$)", text, re.M)
            if m:
                out.title = out.title or m.group(1).strip()
                out.creator = m.group(2).strip()
            else:
                m = re.search(r"^(?:creator|author|designer|designed by)\s*[:=]?\s*(.+)$",
                              text, re.M | re.I)
                if m:
                    out.creator = m.group(1).strip()[:100]
    return out
