"""Notebook reading and writing: the bytes nbformat writes, invalid notebooks refused."""

from __future__ import annotations

import nbformat
import pytest

from chwkit.core import nbstore

FIXTURES = {
    "empty": nbformat.v4.new_notebook(),
    "text and code": nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Título\n\nDos líneas\ny más"),
            nbformat.v4.new_code_cell("x = 1\nx", metadata={"tags": ["a"]}),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    ),
    "outputs": nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "print(1)",
                outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text="1\n2\n"),
                    nbformat.v4.new_output(
                        "display_data", data={"text/plain": "a\nb", "image/png": "iVBOR"}
                    ),
                ],
            )
        ]
    ),
}


@pytest.mark.parametrize("name", FIXTURES)
def test_write_gives_the_bytes_nbformat_writes(tmp_path, name):
    nb = FIXTURES[name]
    path = tmp_path / "nb.ipynb"
    nbstore.write_atomic(path, nb)
    assert path.read_text(encoding="utf-8") == nbformat.writes(nb) + "\n"
    assert nbstore.read(path) == nbformat.read(path, as_version=4)


def test_an_invalid_notebook_is_refused_and_the_old_file_stays(tmp_path):
    path = tmp_path / "nb.ipynb"
    good = FIXTURES["text and code"]
    nbstore.write_atomic(path, good)
    before = path.read_bytes()
    bad = nbformat.from_dict(nbformat.writes(good) and nbformat.reads(nbformat.writes(good), 4))
    bad.cells[0]["cell_type"] = "bogus"
    with pytest.raises(nbstore.NotebookStoreError, match="invalid notebook"):
        nbstore.write_atomic(path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]


def test_cells_sharing_an_id_are_refused_with_the_id_named(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("a")] * 1)
    twin = nbformat.v4.new_markdown_cell("b")
    twin.id = nb.cells[0].id
    nb.cells.append(twin)
    with pytest.raises(nbstore.NotebookStoreError, match=nb.cells[0].id):
        nbstore.write_atomic(tmp_path / "nb.ipynb", nb)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"cells": 3, "metadata": {}, "nbformat": 4}'])
def test_reading_garbage_names_the_file(tmp_path, text):
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    with pytest.raises(nbstore.NotebookStoreError, match="broken.ipynb"):
        nbstore.read(path)


def test_editing_writes_nothing_when_the_body_fails(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbstore.write_atomic(path, FIXTURES["text and code"])
    before = path.read_bytes()
    with pytest.raises(RuntimeError), nbstore.editing(path) as nb:
        nb.cells.append(nbformat.v4.new_markdown_cell("never saved"))
        raise RuntimeError("stop")
    assert path.read_bytes() == before
