"""Benchmark: ``chwkit grade`` against plain ``nbgrader autograde`` on the same submissions.

Makes N synthetic learners (default 100) with one submission each to one assessment, copies
the course so both graders start from the same state, times ``nbgrader autograde`` (run from
``assessments/`` as a trainer would) and ``chwkit grade``, checks every learner's per-cell and
total scores are identical, and prints the ratio.

    .venv/bin/python benchmarks/grade.py [--learners 100] [--assignment chw_role_check]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def synthetic_answers(spec, rng: random.Random) -> dict:
    answers = {}
    for item in spec.items:
        roll = rng.random()
        if roll < 0.15:
            continue  # unanswered
        if item.kind == "single":
            answers[item.id] = rng.randrange(len(item.options))
        elif item.kind == "multiple":
            k = rng.randint(1, len(item.options))
            answers[item.id] = sorted(rng.sample(range(len(item.options)), k))
        elif item.kind == "numeric":
            answers[item.id] = rng.choice([10, 19, 540, 12, 3.5, 100])
        elif item.kind == "short":
            answers[item.id] = rng.choice(["promotora", "PCP", "gratitud", "enfermera", "no sé"])
        else:
            answers[item.id] = rng.choice(["Acompañé a una familia a su cita.", "No sé todavía."])
    return answers


def make_course(home: Path, assignment: str, learners: int) -> None:
    os.environ["CHWKIT_HOME"] = str(home)
    os.environ["CHWKIT_ROOT"] = str(REPO)
    from nbgrader.apps import NbGraderAPI

    from chwkit.assess import course
    from chwkit.assess.submit import fill_answers, load_release, write_submission

    api = NbGraderAPI(config=course.nbgrader_config())
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        sys.exit(result.get("error") or result.get("log"))
    release_nb, spec = load_release(assignment)
    rng = random.Random(174)
    ids = [f"b{n:03d}" for n in range(learners)]
    # Roster entries without the per-code hashing cost: the benchmark is about grading.
    import json

    (home / "roster.json").write_text(
        json.dumps({"version": 1, "people": {i: {"role": "learner", "name": None} for i in ids}})
    )
    with course.gradebook() as gb:
        for student in ids:
            gb.update_or_create_student(student)
    for student in ids:
        nb, _ = fill_answers(release_nb, spec, synthetic_answers(spec, rng))
        write_submission(student, assignment, nb)


def scores(home: Path, assignment: str) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{home / 'course' / 'gradebook.db'}", "chwkit") as gb:
        for sub in gb.assignment_submissions(assignment):
            cells = {
                g.name: (g.auto_score, g.needs_manual_grade)
                for nb in sub.notebooks
                for g in nb.grades
            }
            out[sub.student.id] = (sub.score, cells)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--assignment", default="chw_role_check")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="chwkit-bench-"))
    try:
        home_kit, home_plain = base / "kit", base / "plain"
        make_course(home_kit, args.assignment, args.learners)
        shutil.copytree(home_kit, home_plain, symlinks=True)
        env_path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"

        env = {
            **os.environ,
            "CHWKIT_HOME": str(home_plain),
            "CHWKIT_ROOT": str(REPO),
            "PATH": env_path,
        }
        start = time.perf_counter()
        plain = subprocess.run(
            [str(BIN / "nbgrader"), "autograde", args.assignment],
            cwd=REPO / "assessments",
            env=env,
            capture_output=True,
            text=True,
        )
        t_plain = time.perf_counter() - start
        if plain.returncode != 0:
            print(plain.stderr[-3000:], file=sys.stderr)
            return 1

        env = {
            **os.environ,
            "CHWKIT_HOME": str(home_kit),
            "CHWKIT_ROOT": str(REPO),
            "PATH": env_path,
        }
        cmd = [str(BIN / "chwkit"), "grade", args.assignment, "--no-progress"]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        start = time.perf_counter()
        kit = subprocess.run(cmd, cwd=base, env=env, capture_output=True, text=True)
        t_kit = time.perf_counter() - start
        if kit.returncode != 0:
            print(kit.stdout, kit.stderr[-3000:], file=sys.stderr)
            return 1

        s_plain, s_kit = scores(home_plain, args.assignment), scores(home_kit, args.assignment)
        same = s_plain == s_kit and len(s_kit) == args.learners
        ratio = t_kit / t_plain
        print(f"learners: {args.learners}  cores: {os.cpu_count()}  assignment: {args.assignment}")
        print(f"plain nbgrader autograde: {t_plain:7.1f} s")
        print(f"chwkit grade:             {t_kit:7.1f} s  (autograde + feedback + export)")
        print(f"ratio chwkit/plain:       {ratio:7.2f}  (target <= 0.50)")
        print(f"scores identical:         {'yes' if same else 'NO'}")
        if not same:
            diff = [s for s in sorted(set(s_plain) | set(s_kit)) if s_plain.get(s) != s_kit.get(s)]
            print(f"differing learners: {diff[:10]}")
        return 0 if same else 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
