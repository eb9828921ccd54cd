"""``chwkit serve``: start the learner server."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the learner server (Voila) and print its address")
    p.add_argument("--port", type=int, default=8866, help="port to listen on (default 8866)")
    p.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address to bind; anything but localhost requires a token (default 127.0.0.1)",
    )
    p.add_argument("--token", default=None, help="access token (generated when --ip opens a LAN)")
    p.add_argument(
        "--cull-idle-minutes",
        type=float,
        default=15.0,
        help="shut down learner kernels idle this long (default 15)",
    )
    p.add_argument("--no-preheat", action="store_true", help="do not preheat module kernels")
    p.add_argument(
        "--frontend",
        choices=("kit", "voila"),
        default="kit",
        help="what draws the widgets: the kit's light front end (default) or Voila's own",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chwkit.serve.app import ServeOptions, serve

    serve(
        ServeOptions(
            port=args.port,
            ip=args.ip,
            token=args.token,
            preheat=not args.no_preheat,
            cull_idle_minutes=args.cull_idle_minutes,
            frontend=args.frontend,
        )
    )
    return 0
