"""The learner's feedback: read what ``chwkit grade`` wrote and render it in their language.

``chwkit grade`` writes ``<data>/course/feedback/<id>/<assignment>/chwkit_feedback.json``:
the score and, per item, a status (correct, partial, incorrect, unanswered, pending), points
and the trainer's comment. It holds no answers, no tests and no key. Rendering escapes every
value; the prompts and hints come from the release notebook.
"""

from __future__ import annotations

import html
import json

from chwkit.assess import course
from chwkit.assess.items import Assessment
from chwkit.core.i18n import t
from chwkit.core.times import message_html

FEEDBACK_JSON = "chwkit_feedback.json"
STATUSES = ("correct", "partial", "incorrect", "unanswered", "pending")


def read_feedback(student: str, assignment: str) -> dict | None:
    """The learner's feedback from the last ``chwkit grade`` (None if not graded yet)."""
    path = course.feedback_dir(student, assignment) / FEEDBACK_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("items"), list) else None


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def render_feedback(data: dict | None, spec: Assessment, lang: str, latest: str | None) -> str:
    """HTML for the feedback panel. ``latest`` is the learner's current submission timestamp."""
    esc = html.escape
    if not data:
        return f"<p class='chwkit-fb-none'>{esc(t('assess.feedback_none', lang))}</p>"
    parts = [f"<h2>{esc(t('assess.feedback_title', lang))}</h2>"]
    score = t(
        "assess.feedback_score",
        lang,
        score=_num(data.get("score")),
        max_score=_num(data.get("max_score")),
    )
    parts.append(f"<p class='chwkit-fb-score'><strong>{esc(score)}</strong></p>")
    when = str(data.get("timestamp") or "")
    parts.append(f"<p><small>{message_html('assess.feedback_graded_at', lang, when)}</small></p>")
    if latest and when and latest != when:
        parts.append(
            f"<p class='chwkit-fb-outdated'>{esc(t('assess.feedback_outdated', lang))}</p>"
        )
    if data.get("needs_manual_grade"):
        parts.append(f"<p>{esc(t('assess.feedback_pending_note', lang))}</p>")
    by_id = {i.get("item"): i for i in data["items"] if isinstance(i, dict)}
    parts.append("<ol class='chwkit-fb-items'>")
    for item in spec.items:
        entry = by_id.get(item.id, {})
        status = entry.get("status") if entry.get("status") in STATUSES else "pending"
        line = f"<strong>{esc(t('assess.status.' + status, lang))}</strong>"
        if status != "pending" and entry.get("score") is not None:
            points = t(
                "assess.item_points", lang, score=_num(entry.get("score")), max_score=item.points
            )
            line += f" · {esc(points)}"
        block = [
            f"<li class='chwkit-fb-item chwkit-fb-{status}' data-item='{esc(item.id)}'>",
            f"<p class='chwkit-q-prompt'>{esc(item.prompt[lang])}</p>",
            f"<p>{line}</p>",
        ]
        if status in ("incorrect", "partial", "unanswered"):
            block.append(f"<p><small>{esc(item.hint[lang])}</small></p>")
        comment = entry.get("comment")
        if isinstance(comment, str) and comment.strip():
            block.append(
                f"<blockquote class='chwkit-fb-comment'><small>"
                f"{esc(t('assess.trainer_comment', lang))}</small><br>{esc(comment[:2000])}"
                "</blockquote>"
            )
        block.append("</li>")
        parts.append("".join(block))
    parts.append("</ol>")
    return "".join(parts)
