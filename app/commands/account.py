"""``layerline account register|login|status|logout``: the marketplace account.

    layerline account register --url URL --username NAME [--referral CODE] [--email ADDR]
    layerline account login --url URL --username NAME
    layerline account status [--json]
    layerline account logout

The password is read from ``LAYERLINE_PASSWORD`` or, when that is not set,
from standard input (one line; never from the command line, which other users
of the machine can see).  ``--url`` is saved in the settings; the token and
the device key go to the secret store.  Registering or signing in also
registers this installation's receipt key with the account.
Exit codes: 0 done, 1 the marketplace refused or cannot be reached, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from app.services import Services

NAME = "account"
HELP = "register with or sign in to the marketplace (password from stdin or LAYERLINE_PASSWORD)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("register", "create a marketplace account and sign in"),
                       ("login", "sign in to a marketplace account")):
        p = action.add_parser(name, help=text, description=text)
        p.add_argument("--url", metavar="URL", help="the marketplace (saved in the settings)")
        p.add_argument("--username", required=True, metavar="NAME")
        if name == "register":
            p.add_argument("--referral", metavar="CODE", help="an inviter's referral code")
            p.add_argument("--email", metavar="ADDR", help="the account's e-mail address")
    status = action.add_parser("status", help="who is signed in, where")
    status.add_argument("--json", action="store_true")
    action.add_parser("logout", help="sign out (the token is revoked and forgotten)")


def _password() -> str | None:
    password = os.environ.get("LAYERLINE_PASSWORD")
    if password is None:
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass("marketplace password: ")
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    return password or None


def run(args: argparse.Namespace, services: Services) -> int:
    from reviews.client import MarketplaceError

    if args.action in ("register", "login"):
        if args.url:
            settings = services.settings.settings.copy()
            settings.marketplace.url = args.url.rstrip("/")
            services.settings.update(settings)
        password = _password()
        if password is None:
            print("layerline: no password (set LAYERLINE_PASSWORD or pipe it on stdin)",
                  file=sys.stderr)
            return 2
        reviews = services.reviews
        try:
            if args.action == "register":
                session = reviews.register(args.username, password, email=args.email,
                                           referral=args.referral)
            else:
                session = reviews.login(args.username, password)
        except MarketplaceError as exc:
            print(f"layerline: {exc}", file=sys.stderr)
            return 1
        done = "registered and signed in" if args.action == "register" else "signed in"
        print(f"{done} as {session.username} (account {session.account_id}) at "
              f"{services.marketplace_url()}; receipt key {session.device_key_id}")
        return 0
    if args.action == "logout":
        services.reviews.sign_out()
        print("signed out")
        return 0
    current = services.reviews.account.session()
    if args.json:
        print(json.dumps({"url": services.marketplace_url(), "signed_in": current is not None,
                          "account_id": current.account_id if current else None,
                          "username": current.username if current else None,
                          "device_key_id": current.device_key_id if current else None}))
    elif current is None:
        print(f"not signed in to {services.marketplace_url()}")
    else:
        print(f"signed in as {current.username} (account {current.account_id}) at "
              f"{services.marketplace_url()}")
    return 0
