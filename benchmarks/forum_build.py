"""Forum dataset build: 1,000 invented sessions holding 20,000 contributions.

Prints the full build (no cache) and the incremental build (one session changed) in seconds,
medians of several runs, measured in-process (imports warm). Targets: full <= 5 s,
incremental <= 0.5 s.

    .venv/bin/python benchmarks/forum_build.py [--sessions 1000] [--per-session 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--per-session", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chwkit-bench-forum-"))
    os.environ["CHWKIT_HOME"] = str(work / "home")
    try:
        from chwkit.forum.codebook import codebook
        from chwkit.forum.dataset import build
        from chwkit.forum.model import make_contribution, new_uuid
        from chwkit.forum.sample import generate
        from chwkit.forum.session import TEMPLATE_NAME, save_contribution, template_path

        sessions = work / "forum_sessions"
        sessions.mkdir()
        shutil.copy(template_path(), sessions / TEMPLATE_NAME)
        started = time.perf_counter()
        paths = generate(sessions, args.sessions, args.per_session, seed=1)
        print(
            f"generated {len(paths)} sessions x {args.per_session} contributions "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        out = work / "dataset"
        build(forum_dir=sessions, out_dir=out, progress=False)  # warm imports and page cache

        full = []
        for _ in range(args.runs):
            report = build(forum_dir=sessions, out_dir=out, use_cache=False, progress=False)
            full.append(report.seconds)
        build(forum_dir=sessions, out_dir=out, progress=False)  # fill the cache

        incremental = []
        book = codebook()
        for run in range(args.runs):
            c = make_contribution(
                {
                    "uuid": new_uuid(),
                    "pseudonym": f"B{run:02d}",
                    "role": "chw",
                    "kind": "reflection",
                    "themes": ["wb_purpose"],
                    "language": "es",
                    "text": "Un aporte nuevo para medir la construcción incremental.",
                    "consent": {"dataset": True, "quote": False, "share_outside": False},
                },
                book,
            )
            save_contribution(paths[run * 7 % len(paths)], c, book)
            report = build(forum_dir=sessions, out_dir=out, progress=False)
            assert report.files_read == 1, report.files_read
            incremental.append(report.seconds)

        rows = report.contributions
        print(f"forum build, {args.sessions} sessions, {rows} contributions in the dataset")
        print(f"full build:        {statistics.median(full):.2f} s (median of {args.runs})")
        print(f"incremental build: {statistics.median(incremental):.2f} s (median of {args.runs})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
