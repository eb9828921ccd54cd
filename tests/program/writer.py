"""A records writer in its own process, for the concurrency and crash tests.

    python writer.py URL LEARNER COUNT [--report]

Records COUNT practice tries of ``LEARNER`` (and the shared learner ``everyone``), one
transaction each; with ``--report`` prints ``committed N`` after each commit returns.
"""

from __future__ import annotations

import sys

from chwkit.program.store import RecordsStore


def main(url: str, learner: str, count: int, report: bool) -> None:
    store = RecordsStore(url)
    store.create()
    for i in range(count):
        store.record_events(
            learner,
            [
                {"kind": "opened", "module": "chw_role", "visit": f"{learner}-visit-{i:05d}"},
                {
                    "kind": "attempt",
                    "module": "chw_role",
                    "visit": f"{learner}-visit-{i:05d}",
                    "question": "q1",
                    "right": i % 2 == 0,
                },
            ],
        )
        store.record_events(
            "everyone",
            [
                {
                    "kind": "attempt",
                    "module": "chw_role",
                    "visit": "everyone-visit-0000",
                    "question": "q1",
                    "right": True,
                }
            ],
        )
        if report:
            print(f"committed {i + 1}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), "--report" in sys.argv)
