"""PDFs for print: an HTML page (the kit's own templates and styles) laid out by WeasyPrint.

One mechanism for every printed thing the kit makes (a module for a group without devices,
its facilitator notes, the year's work plan, a certificate): the caller renders HTML with the
same Jinja templates and CSS the pages use, and ``write_pdf`` lays it out. Offline: no URL
outside ``base`` is fetched (a printed page must not reach the network any more than a page).
"""

from __future__ import annotations

from pathlib import Path

from chwkit.core import atomic


class PdfError(RuntimeError):
    """The PDF could not be made; the message says why."""


def _offline_fetcher(base: Path | None):
    """A fetcher for local files under ``base`` and ``data:`` URLs, nothing else."""
    from weasyprint.urls import URLFetcher

    root = base.resolve().as_uri() if base else None

    class Offline(URLFetcher):
        def fetch(self, url, headers=None):
            if not (url.startswith("data:") or (root and url.startswith(root + "/"))):
                raise PdfError(f"refusing to fetch {url!r}: printed pages use local files only")
            return super().fetch(url, headers)

    return Offline(allowed_protocols={"file", "data"})


def pdf_bytes(html: str, base: Path | None = None) -> bytes:
    """The PDF of ``html``; relative links resolve inside folder ``base`` only."""
    try:
        from weasyprint import HTML
    except ImportError as exc:  # the system's Pango is missing
        raise PdfError(f"WeasyPrint is not usable here: {exc}") from exc
    document = HTML(
        string=html,
        base_url=str(base) if base else None,
        url_fetcher=_offline_fetcher(base),
    )
    return document.write_pdf()


def write_pdf(path: Path, html: str, base: Path | None = None) -> Path:
    """Write the PDF of ``html`` to ``path`` atomically (a reader never sees half a file)."""
    data = pdf_bytes(html, base)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic.write(Path(path), data)
    return Path(path)
