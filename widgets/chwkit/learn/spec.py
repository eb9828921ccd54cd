"""Training modules: their metadata and practice questions, read from ``module.yaml``.

A module is a folder ``notebooks/modules/<id>/`` holding ``module.yaml`` and ``<id>.ipynb``.
The notebook carries the text as pairs of markdown cells tagged ``lang-es`` and ``lang-en``;
``module.yaml`` carries metadata (level, duration, C3 competencies) and the practice questions.

``python -m chwkit.learn.spec check`` validates every module and prints what is wrong.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chwkit.core import paths, questions
from chwkit.core.i18n import LANGS

# libyaml's parser where PyYAML was built with it (the same documents, several times faster)
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LEVELS = ("entry", "mid", "advanced")
C3_ROLES = tuple(range(1, 11))
C3_SKILLS = (
    "communication",
    "interpersonal",
    "service_coordination",
    "capacity_building",
    "advocacy",
    "education_facilitation",
    "assessment",
    "outreach",
    "professional_conduct",
    "evaluation_research",
    "knowledge_base",
)
QUESTION_KINDS = ("single", "multiple", "short")
MODULE_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class ModuleError(ValueError):
    """A module's files are malformed; the message names the file and the problem."""


def _bilingual(value: object, where: str) -> dict[str, str]:
    return questions.bilingual(value, where, ModuleError)


def _list(value: object, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ModuleError(f"{where}: expected a list")
    return value


def _date(value: object, where: str) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ModuleError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Source:
    """Where a module's facts come from, and when the author read it."""

    title: str
    publisher: str
    url: str
    consulted: datetime.date

    @classmethod
    def from_dict(cls, data: object, where: str) -> Source:
        if not isinstance(data, dict):
            raise ModuleError(f"{where}: a source is {{title, publisher, url, consulted}}")
        texts = {}
        for key in ("title", "publisher", "url"):
            value = data.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ModuleError(f"{where}: missing {key}")
            texts[key] = value.strip()
        if not re.match(r"^https?://[^\s]+$", texts["url"]):
            raise ModuleError(f"{where}: url {texts['url']!r} is not a web address")
        consulted = _date(data.get("consulted"), f"{where} consulted")
        if consulted is None:
            raise ModuleError(f"{where}: missing consulted (the date the author read it)")
        return cls(consulted=consulted, **texts)


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    kind: str
    prompt: dict[str, str]
    explanation: dict[str, str]
    options: tuple[dict[str, str], ...] = ()
    answer: tuple[int, ...] = ()  # indices of correct options (single: one)
    accept: dict[str, tuple[str, ...]] = field(default_factory=dict)  # short answers

    @classmethod
    def from_dict(cls, data: dict, where: str) -> QuestionSpec:
        if not isinstance(data, dict):
            raise ModuleError(f"{where}: a question must be a mapping")
        qid = str(data.get("id", ""))
        if not re.fullmatch(r"[a-z0-9_]{1,20}", qid):
            raise ModuleError(f"{where}: bad question id {qid!r}")
        where = f"{where} {qid}"
        kind = data.get("kind")
        if kind not in QUESTION_KINDS:
            raise ModuleError(f"{where}: kind must be one of {QUESTION_KINDS}, not {kind!r}")
        prompt = _bilingual(data.get("prompt"), f"{where} prompt")
        explanation = _bilingual(data.get("explanation"), f"{where} explanation")
        if kind == "short":
            accept_raw = data.get("accept")
            if not isinstance(accept_raw, dict):
                raise ModuleError(
                    f"{where}: a short question needs accept: {{es: [...], en: [...]}}"
                )
            accept = {}
            for lang in LANGS:
                items = accept_raw.get(lang)
                if not isinstance(items, list) or not items:
                    raise ModuleError(f"{where}: accept lacks answers in {lang!r}")
                accept[lang] = tuple(str(item) for item in items)
            return cls(qid, kind, prompt, explanation, accept=accept)
        options = questions.options(data.get("options"), where, ModuleError)
        answer = questions.choice_key(kind, data.get("answer"), len(options), where, ModuleError)
        return cls(qid, kind, prompt, explanation, options=options, answer=answer)


@dataclass(frozen=True)
class ModuleSpec:
    id: str
    folder: Path
    order: int
    level: str
    duration_min: int
    c3_roles: tuple[int, ...]
    c3_skills: tuple[str, ...]
    title: dict[str, str]
    summary: dict[str, str]
    questions: tuple[QuestionSpec, ...]
    objectives: tuple[dict[str, str], ...] = ()
    sources: tuple[Source, ...] = ()
    reviewed: datetime.date | None = None
    review_by: datetime.date | None = None

    @property
    def facilitator_notes(self) -> dict[str, Path]:
        """The facilitator's plan per language (never shown on a learner page)."""
        found = {lang: self.folder / f"facilitator.{lang}.md" for lang in LANGS}
        return {lang: path for lang, path in found.items() if path.is_file()}

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.id}.ipynb"

    def question(self, qid: str) -> QuestionSpec:
        for q in self.questions:
            if q.id == qid:
                return q
        raise ModuleError(f"{self.id}: no question {qid!r}")

    @classmethod
    def load(cls, folder: Path) -> ModuleSpec:
        """The module in ``folder``; read again only when its ``module.yaml`` changed.

        Learner pages read it for every render (the tab's title) and the landing page for
        every visit: parsed each time, the YAML cost a class's server most of its renders.
        """
        folder = Path(folder)
        source = folder / "module.yaml"
        try:
            stat = source.stat()
        except OSError as exc:
            raise ModuleError(f"{source}: cannot read: {exc}") from exc
        key = (os.path.abspath(source), stat.st_mtime_ns, stat.st_size, stat.st_ino)
        cached = _LOADED.get(key[0])
        if cached is not None and cached[0] == key and cached[1].folder == folder:
            return cached[1]
        spec = cls._parse(folder, source)
        _LOADED[key[0]] = (key, spec)
        return spec

    @classmethod
    def _parse(cls, folder: Path, source: Path) -> ModuleSpec:
        where = str(source)
        try:
            data = yaml.load(source.read_text(encoding="utf-8"), Loader=SafeLoader)
        except (OSError, yaml.YAMLError) as exc:
            raise ModuleError(f"{where}: cannot read: {exc}") from exc
        if not isinstance(data, dict):
            raise ModuleError(f"{where}: expected a mapping")
        mid = str(data.get("id", ""))
        if mid != folder.name or not MODULE_ID.match(mid):
            raise ModuleError(f"{where}: id {mid!r} must equal the folder name {folder.name!r}")
        level = data.get("level")
        if level not in LEVELS:
            raise ModuleError(f"{where}: level must be one of {LEVELS}, not {level!r}")
        duration = data.get("duration_min")
        if not isinstance(duration, int) or not 5 <= duration <= 600:
            raise ModuleError(f"{where}: duration_min must be minutes between 5 and 600")
        roles = tuple(data.get("c3_roles") or ())
        if not roles or any(r not in C3_ROLES for r in roles):
            raise ModuleError(f"{where}: c3_roles must list numbers 1..10, not {roles!r}")
        skills = tuple(data.get("c3_skills") or ())
        if not skills or any(s not in C3_SKILLS for s in skills):
            raise ModuleError(f"{where}: c3_skills must come from {C3_SKILLS}")
        questions_raw = data.get("questions") or []
        questions = tuple(QuestionSpec.from_dict(q, where) for q in questions_raw)
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise ModuleError(f"{where}: question ids repeat")
        return cls(
            id=mid,
            folder=folder,
            order=int(data.get("order", 99)),
            level=level,
            duration_min=duration,
            c3_roles=roles,
            c3_skills=skills,
            title=_bilingual(data.get("title"), f"{where} title"),
            summary=_bilingual(data.get("summary"), f"{where} summary"),
            questions=questions,
            objectives=tuple(
                _bilingual(o, f"{where} objective {i + 1}")
                for i, o in enumerate(_list(data.get("objectives"), f"{where} objectives"))
            ),
            sources=tuple(
                Source.from_dict(s, f"{where} source {i + 1}")
                for i, s in enumerate(_list(data.get("sources"), f"{where} sources"))
            ),
            reviewed=_date(data.get("reviewed"), f"{where} reviewed"),
            review_by=_date(data.get("review_by"), f"{where} review_by"),
        )


# module.yaml's absolute path -> ((path, mtime, size, inode), its ModuleSpec)
_LOADED: dict[str, tuple[tuple, ModuleSpec]] = {}


def discover(root: Path | None = None) -> list[ModuleSpec]:
    """Every module under ``notebooks/modules``, in landing-page order."""
    base = Path(root) if root else paths.modules_dir()
    found = [ModuleSpec.load(p.parent) for p in base.glob("*/module.yaml")]
    return sorted(found, key=lambda m: (m.order, m.id))


def find(module_id: str, root: Path | None = None) -> ModuleSpec | None:
    if not MODULE_ID.match(module_id or ""):
        return None
    base = Path(root) if root else paths.modules_dir()
    if not (base / module_id / "module.yaml").is_file():
        return None
    return ModuleSpec.load(base / module_id)
