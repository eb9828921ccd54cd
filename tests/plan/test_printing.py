"""Printed modules (chwkit print): real PDFs whose extracted text holds the module's text and
questions in one language, and the answers only on the facilitator's answer page."""

from __future__ import annotations

import json

import pytest
import yaml
from pypdf import PdfReader

from chwkit.cli import main
from chwkit.core.i18n import t
from chwkit.learn import spec as modules
from chwkit.learn.tracks import TrackSpec

from .conftest import REPO

MODULE = "acomp_mindfulness"  # a module with practice questions and facilitator notes


def flat(text: str) -> str:
    return " ".join(text.split())


def pages(path) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(path).pages]


def snippet(text: str, size: int = 60) -> str:
    """The start of a text as it prints (markdown's emphasis marks dropped)."""
    return flat(text.replace("**", "").replace("*", ""))[:size]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    for lang in ("es", "en"):
        assert main(["print", MODULE, "--lang", lang, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_answers_and_explanations_are_only_on_the_answer_page(printed, lang):
    spec = modules.find(MODULE)
    text = pages(printed / f"{MODULE}.{lang}.pdf")
    heading = t("print.answers.title", lang)
    first = next(i for i, page in enumerate(text) if heading in page)
    learners, answers = " ".join(text[:first]), " ".join(text[first:])
    assert first > 0 and heading not in learners
    key_word = {"es": "Respuesta", "en": "Answer"}[lang]
    assert f"{key_word}:" not in learners and f"{key_word}:" in answers
    for question in spec.questions:
        assert snippet(question.prompt[lang]) in learners, question.id
        explanation = snippet(question.explanation[lang])
        assert explanation in answers, question.id
        assert explanation not in learners, f"{question.id}'s explanation before the answer page"
        for option in question.options:
            assert snippet(option[lang], 40) in learners


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_module_text_is_in_one_language_and_the_notes_print_apart(printed, lang):
    other = "en" if lang == "es" else "es"
    nb = json.loads(modules.find(MODULE).notebook.read_text(encoding="utf-8"))
    headings = {
        code: [
            flat("".join(c["source"]).splitlines()[0].lstrip("# "))
            for c in nb["cells"]
            if f"lang-{code}" in c.get("metadata", {}).get("tags", [])
            and "".join(c["source"]).startswith("#")
        ]
        for code in ("es", "en")
    }
    text = " ".join(pages(printed / f"{MODULE}.{lang}.pdf"))
    assert all(h in text for h in headings[lang])
    assert not [h for h in headings[other] if h not in headings[lang] and h in text]

    notes = (REPO / "notebooks" / "modules" / MODULE / f"facilitator.{lang}.md").read_text()
    first_heading = flat(notes.splitlines()[0].lstrip("# "))
    guide = " ".join(pages(printed / f"{MODULE}.facilitator.{lang}.pdf"))
    assert first_heading in guide and t("print.facilitator.note", lang) in guide
    second_heading = next(
        flat(line.lstrip("# ")) for line in notes.splitlines()[1:] if line.startswith("## ")
    )
    assert second_heading not in text, "facilitator notes leaked into the learners' pages"


def test_a_whole_track_prints_every_module_in_order(tmp_path, capsys):
    track = TrackSpec.load(REPO / "notebooks" / "tracks" / "migracion_salud.yaml")
    assert main(["print", "--track", track.id, "--lang", "en", "--out", str(tmp_path)]) == 0
    expected = set()
    for number, module_id in enumerate(track.modules, start=1):
        expected.add(f"{number:02d}_{module_id}.en.pdf")
        if modules.find(module_id).facilitator_notes.get("en"):
            expected.add(f"{number:02d}_{module_id}.facilitator.en.pdf")
    assert {p.name for p in tmp_path.iterdir()} == expected
    first = pages(tmp_path / f"01_{track.modules[0]}.en.pdf")[0]
    assert f"Track: {track.title['en']}" in first


def test_unknown_module_or_track_is_refused_in_the_coordinators_language(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["print", "no_such_module", "--lang", "en", "--out", str(out)]) == 2
    assert "there is no module 'no_such_module'; the modules are:" in capsys.readouterr().err
    assert main(["print", "--track", "nada", "--out", str(out)]) == 2
    assert "no hay una ruta «nada»" in capsys.readouterr().err
    assert main(["print", MODULE, "--track", "nada", "--out", str(out)]) == 2
    assert "nombre un módulo o una ruta" in capsys.readouterr().err
    assert not out.exists()


TINY = {
    "id": "tiny_print",
    "level": "entry",
    "duration_min": 10,
    "c3_roles": [2],
    "c3_skills": ["communication"],
    "title": {"es": "Módulo mínimo", "en": "Tiny module"},
    "summary": {"es": "Para probar la impresión.", "en": "To test printing."},
    "questions": [
        {
            "id": "q1",
            "kind": "short",
            "prompt": {"es": "¿Cómo se dice hola?", "en": "How do you say hello?"},
            "explanation": {"es": "Se dice hola, sin más.", "en": "You say hello, that is all."},
            "accept": {"es": ["hola"], "en": ["hello"]},
        }
    ],
}


def test_a_short_question_gets_lines_and_module_html_is_escaped(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks" / "modules" / "tiny_print"
    folder.mkdir(parents=True)
    (folder / "module.yaml").write_text(yaml.safe_dump(TINY, allow_unicode=True))
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {"tags": ["lang-es"]},
            "source": "# Hola\n\n<script>alert(1)</script>\n\nUn texto **fuerte**.",
        },
        {
            "cell_type": "markdown",
            "metadata": {"tags": ["lang-en"]},
            "source": "# Hello\n\n<script>alert(1)</script>\n\nSome **bold** text.",
        },
        {
            "cell_type": "code",
            "metadata": {},
            "source": 'module.question("q1")',
            "outputs": [],
            "execution_count": None,
        },
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "tiny_print.ipynb").write_text(json.dumps(nb))
    monkeypatch.setenv("CHWKIT_ROOT", str(tmp_path))
    from chwkit.program import printing

    html = printing.module_html(modules.find("tiny_print"), "es")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<strong>fuerte</strong>" in html
    assert html.count('class="answer-lines"') == 3
    out = tmp_path / "out"
    assert main(["print", "tiny_print", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["tiny_print.es.pdf"], "no notes, no notes PDF"
    text = pages(out / "tiny_print.es.pdf")
    assert len(text) == 2 and "Escriba aquí su respuesta" in text[0]
    assert "hola, sin más" not in text[0] and "se aceptan hola" in text[1]
