"""``layerline library ...``: list, search, show and edit models, find and
merge near-duplicates, see and resume imports, slice with PrusaSlicer."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.services import Services

NAME = "library"
HELP = "list, search, show, edit and merge the models of the library"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_ in (("list", "list models"), ("search", "search models by prefix")):
        p = sub.add_parser(name, help=help_)
        if name == "search":
            p.add_argument("text", help="words or word beginnings (all must match)")
        p.add_argument("--format", choices=("stl", "3mf", "obj", "gcode", "bgcode"))
        p.add_argument("--licence", help="an SPDX id such as CC-BY-4.0")
        p.add_argument("--tag")
        p.add_argument("--collection")
        p.add_argument("--printed", action=argparse.BooleanOptionalAction, default=None)
        p.add_argument("--sort", choices=("title", "added", "size", "triangles", "printed"),
                       default="title")
        p.add_argument("--desc", action="store_true", help="sort descending")
        p.add_argument("--limit", type=int, default=50)
        p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="show one model with its files and settings")
    p.add_argument("model", type=int)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("edit", help="edit a model's metadata")
    p.add_argument("model", type=int)
    for field in ("title", "description", "category", "licence", "origin", "creator",
                  "attribution", "source-url", "notes", "marketplace-model-id",
                  "marketplace-profile-id"):
        p.add_argument(f"--{field}")
    p.add_argument("--remix-parent", type=int)
    p.add_argument("--tags", help="comma-separated; replaces the tags")
    p.add_argument("--collections", help="comma-separated; replaces the collections")
    p = sub.add_parser("duplicates", help="list groups of models with the same geometry")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("merge", help="merge a near-duplicate into another model")
    p.add_argument("keep", type=int)
    p.add_argument("other", type=int)
    p = sub.add_parser("jobs", help="list import jobs and their state")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("report", help="show an import job's report")
    p.add_argument("job", type=int)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("slice", help="slice a model's mesh with PrusaSlicer")
    p.add_argument("model", type=int)
    p.add_argument("--profile", help="a PrusaSlicer .ini profile")
    p.add_argument("--slicer", help="path of the prusa-slicer program")


def _out(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def run(args: argparse.Namespace, services: Services) -> int:
    from library import search

    lib = services.library
    action = args.action
    if action in ("list", "search"):
        q = search.Query(
            text=getattr(args, "text", ""),
            filters=search.Filters(format=args.format, licence=args.licence, tag=args.tag,
                                   collection=args.collection, printed=args.printed),
            sort=args.sort, descending=args.desc)
        ids = lib.search(q, limit=args.limit)
        rows = lib.rows(ids)
        items = [rows[i] for i in ids if i in rows]
        if args.json:
            _out(items)
        else:
            for r in items:
                printed = f"printed {r['print_count']}x" if r["print_count"] else ""
                print(f"{r['id']:>7}  {r['title'][:48]:<48}  {r['primary_format']:<6} "
                      f"{r['triangles']:>9} tri  {r['licence'] or '-':<14} {printed}")
        return 0
    if action == "show":
        d = lib.detail(args.model)
        if args.json:
            _out({"id": d.id, **d.fields, "tags": d.tags, "collections": d.collections,
                  "versions": d.versions, "files": d.files})
            return 0
        f = d.fields
        print(f"#{d.id} {f['title']}")
        for key in ("creator", "licence", "origin", "category", "source_url", "description",
                    "notes"):
            if f[key]:
                print(f"  {key}: {f[key]}")
        if d.tags:
            print(f"  tags: {', '.join(d.tags)}")
        if f["print_count"]:
            print(f"  printed {f['print_count']} times, last {f['last_outcome']}")
        for file in d.files:
            dims = (f"{file['size_x']:.1f} x {file['size_y']:.1f} x {file['size_z']:.1f} mm, "
                    f"{file['triangles']} triangles, "
                    f"{'watertight' if file['watertight'] else 'not watertight'}, "
                    f"{file['bodies']} bodies") if file["triangles"] else ""
            print(f"  - {file['name']} ({file['format']}, {file['size']} bytes) {dims}")
            s = file["settings"]
            if s:
                shown = {k: v for k, v in s.items() if v is not None and k != "raw"}
                print("    settings: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        return 0
    if action == "edit":
        fields = {k: v for k, v in {
            "title": args.title, "description": args.description, "category": args.category,
            "licence": args.licence, "origin": args.origin, "creator": args.creator,
            "attribution": args.attribution, "source_url": args.source_url,
            "notes": args.notes, "marketplace_model_id": args.marketplace_model_id,
            "marketplace_profile_id": args.marketplace_profile_id,
            "remix_parent_id": args.remix_parent}.items() if v is not None}
        tags = [t for t in args.tags.split(",")] if args.tags is not None else None
        colls = [c for c in args.collections.split(",")] if args.collections is not None else None
        lib.update(args.model, fields, tags, colls)
        return 0
    if action == "duplicates":
        groups = lib.duplicate_groups()
        if args.json:
            _out(groups)
        else:
            for g in groups:
                rows = lib.rows(g)
                print(" = ".join(f"#{i} {rows[i]['title']}" for i in g if i in rows))
        return 0
    if action == "merge":
        lib.merge(args.keep, args.other)
        return 0
    if action == "jobs":
        from library.schema import lib_import_job

        jobs = lib.read(lambda c: [dict(r) for r in c.execute(
            lib_import_job.select().order_by(lib_import_job.c.id)).mappings()])
        if args.json:
            _out(jobs)
        else:
            for j in jobs:
                print(f"{j['id']:>5}  {j['state']:<10} {j['roots_json']}")
        return 0
    if action == "report":
        r = lib.importer.report(args.job)
        if args.json:
            _out(r.as_dict())
        else:
            for ln in r.lines:
                print(f"{ln.state:<10} {ln.name}  {ln.error}")
        return 0
    if action == "slice":
        from pathlib import Path

        from library import slicing

        report = slicing.slice_model(lib, args.model,
                                     Path(args.profile) if args.profile else None,
                                     slicing.find_slicer(args.slicer))
        print(f"sliced into {report}")
        return 0
    return 2
