"""When a module counts as completed: its mastery rule.

A module sets its rule in ``module.yaml``; a track may set one for the modules it lists that
set none; otherwise every practice question must be answered right once::

    mastery: all_right            # every practice question answered right at least once
    mastery: {first_try: 3}       # at least 3 of the module's questions right on the first try

A module without practice questions is completed when it is opened. Only the fact of each
try is used (right or not, first or later), never the text typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from chwkit.learn import spec as module_specs
from chwkit.learn import tracks as track_specs


class MasteryError(ValueError):
    """A mastery rule is malformed; the message names the file."""


@dataclass(frozen=True)
class Rule:
    kind: str  # "all_right" | "first_try"
    m: int = 0

    def met(self, questions: tuple[str, ...], attempts) -> bool:
        """Whether tries (``store.Attempt``s) meet the rule for a module asking ``questions``."""
        by_question = {a.question: a for a in attempts}
        if not questions:
            return True
        if self.kind == "first_try":
            right = sum(1 for q in questions if q in by_question and by_question[q].first_try_right)
            return right >= min(self.m, len(questions))
        return all(q in by_question and by_question[q].right_once for q in questions)

    def describe(self) -> tuple[str, dict]:
        """The catalog key and values that say the rule to a learner."""
        if self.kind == "first_try":
            return "program.mastery.first_try", {"m": self.m}
        return "program.mastery.all_right", {}


DEFAULT = Rule("all_right")


def parse(value: object, where: str) -> Rule | None:
    if value is None:
        return None
    if value == "all_right":
        return DEFAULT
    if isinstance(value, dict) and set(value) == {"first_try"}:
        m = value["first_try"]
        if isinstance(m, int) and not isinstance(m, bool) and m >= 1:
            return Rule("first_try", m)
    raise MasteryError(
        f"{where}: mastery must be all_right or {{first_try: N}} (N >= 1), not {value!r}"
    )


def _raw(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


@cache
def _rules(modules_root: str, tracks_root: str) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for track in track_specs.discover(Path(tracks_root)) if Path(tracks_root).is_dir() else []:
        rule = parse(_raw(track.path).get("mastery"), str(track.path))
        for module in track.modules:
            if rule is not None:
                rules.setdefault(module, rule)
    for path in sorted(Path(modules_root).glob("*/module.yaml")):
        rule = parse(_raw(path).get("mastery"), str(path))
        if rule is not None:
            rules[path.parent.name] = rule
    return rules


def rule_for(module: str) -> Rule:
    """The mastery rule of ``module``."""
    rules = _rules(str(module_specs.paths.modules_dir()), str(track_specs.tracks_dir()))
    return rules.get(module, DEFAULT)


@cache
def _questions(modules_root: str, module: str) -> tuple[str, ...] | None:
    spec = module_specs.find(module, Path(modules_root))
    return None if spec is None else tuple(q.id for q in spec.questions)


def questions_of(module: str) -> tuple[str, ...] | None:
    """The practice question ids of ``module`` (None: no such module)."""
    return _questions(str(module_specs.paths.modules_dir()), module)


def completed(module: str, attempts) -> bool:
    """The store's completion check: ``module``'s rule over the learner's tries."""
    questions = questions_of(module)
    return questions is not None and rule_for(module).met(questions, attempts)
