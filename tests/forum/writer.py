"""A forum writer process for the concurrency and crash tests.

    python writer.py SESSION.ipynb COUNT TAG

Saves COUNT contributions (pseudonym TAG-i) and prints each uuid once its save returned.
"""

import sys
from pathlib import Path

from chwkit.forum.codebook import codebook
from chwkit.forum.model import make_contribution, new_uuid
from chwkit.forum.session import save_contribution


def main() -> None:
    path, count, tag = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    book = codebook()
    for i in range(count):
        c = make_contribution(
            {
                "uuid": new_uuid(),
                "pseudonym": f"{tag}-{i}",
                "role": "chw",
                "kind": "experience",
                "themes": ["wb_team"],
                "language": "es",
                "text": f"Aporte {i} del proceso {tag}: el equipo se apoya.",
                "consent": {"dataset": True, "quote": False, "share_outside": False},
            },
            book,
        )
        save_contribution(path, c, book)
        print(c.uuid, flush=True)


if __name__ == "__main__":
    main()
