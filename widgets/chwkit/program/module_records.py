"""A module page's records: what the page sends, and the line that tells the learner.

``ModuleRecords.start(module_id)`` is called by the module page once its visitor is known.
For a signed-in learner it reports that the page was opened, each practice try (right or
not) and, when the kernel shuts down (the tab closed, or culled), that the page was left;
the server keeps them and decides when the module is completed (its mastery rule). The line
says who is signed in, or offers to sign in; it says so when the module becomes completed.
"""

from __future__ import annotations

import html
import secrets

import ipywidgets as widgets
from traitlets import observe

from chwkit.core.i18n import DEFAULT_LANG, t
from chwkit.core.lang import Lang
from chwkit.program.client import RecordsClient


class ModuleRecords(widgets.HTML):
    lang = Lang()

    def __init__(self, module: str, client: RecordsClient, lang: str = DEFAULT_LANG):
        self.module = module
        self.client = client
        self.visit = secrets.token_urlsafe(12)
        self.completed = False
        super().__init__()
        self.add_class("chwkit-records")
        self.lang = lang
        self._relabel()

    @classmethod
    def start(
        cls, module: str, lang: str = DEFAULT_LANG, client: RecordsClient | None = None
    ) -> ModuleRecords:
        records = cls(module, client or RecordsClient.from_env(), lang)
        records._report({"kind": "opened"})
        records.client.send_at_exit(lambda: [records._event({"kind": "left"})])
        return records

    @property
    def signed_in(self) -> bool:
        return self.client.signed_in

    def _event(self, fields: dict) -> dict:
        return {"module": self.module, "visit": self.visit, **fields}

    def _report(self, fields: dict) -> None:
        self.client.send([self._event(fields)], on_reply=self._on_reply)

    def attempt(self, question: str, right: bool) -> None:
        self._report({"kind": "attempt", "question": question, "right": bool(right)})

    def _on_reply(self, reply: dict | None) -> None:
        if reply and self.module in (reply.get("completed") or ()):
            self.completed = True
            self._relabel()

    @observe("lang")
    def _on_lang(self, _change) -> None:
        if hasattr(self, "client"):
            self._relabel()

    def _relabel(self) -> None:
        lang = self.lang
        if self.signed_in:
            text = html.escape(t("records.signed_in", lang, id=self.client.learner))
            if self.completed:
                done = html.escape(t("records.module_completed", lang))
                text += f" <strong class='chwkit-module-completed'>{done}</strong>"
            self.value = f"<p role='status'><small>{text}</small></p>"
            return
        note = html.escape(t("records.anonymous", lang))
        link = ""
        if self.client.sign_in_url:
            href = html.escape(self.client.sign_in_url, quote=True)
            link = f" <a href='{href}'>{html.escape(t('records.sign_in', lang))}</a>"
        self.value = f"<p><small>{note}{link}</small></p>"
