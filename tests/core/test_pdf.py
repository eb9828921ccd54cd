"""Printed pages: real PDFs whose text is what the HTML said, made offline."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from chwkit.core import pdf


def test_html_becomes_a_pdf_with_its_text_and_accents(tmp_path):
    out = pdf.write_pdf(
        tmp_path / "hoja.pdf",
        "<html lang='es'><body><h1>Módulo: atención plena</h1><p>Señales y niñez</p></body></html>",
    )
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Módulo: atención plena" in text and "Señales y niñez" in text
    assert list(tmp_path.iterdir()) == [out]


def test_a_page_that_links_outside_is_refused_nothing_fetched(tmp_path):
    html = "<img src='https://example.org/logo.png'><p>x</p>"
    # WeasyPrint reports a failed fetch and goes on: the image is left out, nothing leaves.
    data = pdf.pdf_bytes(html, base=tmp_path)
    assert data.startswith(b"%PDF")
    with pytest.raises(pdf.PdfError):
        pdf._offline_fetcher(tmp_path)("https://example.org/logo.png")
    with pytest.raises(pdf.PdfError):
        pdf._offline_fetcher(tmp_path)("file:///etc/passwd")
