"""``chwkit certificate verify|list|revoke``: the trainer's side of certificates.

Exit status of ``verify``: 0 the certificate is valid, 1 it was revoked, 2 no such code.
"""

from __future__ import annotations

import argparse

from chwkit.program.records_cli import _db_url_option


def register(subparsers) -> None:
    parser = subparsers.add_parser("certificate", help="verify, list or revoke certificates")
    sub = parser.add_subparsers(dest="certificate_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="say whether a certificate's code is valid")
    verify.add_argument("code", help="the verification code, e.g. CHW-K7QF-9XM2-HT4P")
    _db_url_option(verify)
    verify.set_defaults(func=cmd_verify)
    listing = sub.add_parser("list", help="every certificate issued (tab-separated)")
    listing.add_argument("--learner", default=None, help="only this learner's")
    _db_url_option(listing)
    listing.set_defaults(func=cmd_list)
    revoke = sub.add_parser("revoke", help="revoke a certificate (verification then says so)")
    revoke.add_argument("code")
    revoke.add_argument("--reason", required=True, help="why (kept with the certificate)")
    _db_url_option(revoke)
    revoke.set_defaults(func=cmd_revoke)


def _store(args):
    from chwkit.program.store import open_store

    return open_store(args.db_url or None)


def _line(c) -> str:
    state = "valid" if c.valid else f"revoked {c.revoked_at:%Y-%m-%d} ({c.revoked_reason})"
    return "\t".join(
        [c.code, c.learner, c.track, f"{c.hours:g} h", f"{c.issued_at:%Y-%m-%d}", state]
    )


def cmd_verify(args: argparse.Namespace) -> int:
    from chwkit.program.certificates import verify

    result = verify(_store(args), args.code)
    if result.certificate is None:
        print(f"{args.code}: no certificate has this code")
        return 2
    print(_line(result.certificate))
    return 0 if result.status == "valid" else 1


def cmd_list(args: argparse.Namespace) -> int:
    for certificate in _store(args).certificates(args.learner):
        print(_line(certificate))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from chwkit.cli import UserError
    from chwkit.program.certificates import normalize_code

    code = normalize_code(args.code)
    store = _store(args)
    found = store.certificate(code) if code else None
    if found is None:
        raise UserError(f"no certificate has the code {args.code!r}")
    if not store.revoke_certificate(found.code, args.reason.strip() or "revoked"):
        raise UserError(f"{found.code} was already revoked")
    print(f"{found.code}: revoked")
    return 0
