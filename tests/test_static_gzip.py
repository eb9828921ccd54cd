"""Static files gzipped once (chwkit.serve.guard.CompressedOnce), on a real Tornado server.

A class's first visit fetches the page's script at once; the server gzips it once, in a
thread, and every learner gets those bytes. What the browser receives must still be the file.
"""

import asyncio
import gzip
import os
import socket

import pytest
import tornado.web
from conftest import run
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer

from chwkit.serve import guard

SCRIPT = ("function question(n) { return 'pregunta ' + n; }\n" * 4000).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serving(folder, coro, **settings):
    """Run ``coro(get)`` against a Tornado app serving ``folder`` as the kit serves Voila's
    static files; ``get(name, **headers)`` -> the raw response (not decompressed)."""
    app = tornado.web.Application(
        [(r"/static/v/[0-9a-f]+/(.*)", guard.VersionedStaticHandler, {"paths": [str(folder)]})],
        **{"compress_response": True, **settings},
    )
    port = free_port()
    server = HTTPServer(app)
    server.listen(port, "127.0.0.1")
    client = AsyncHTTPClient(force_instance=True)

    async def get(name, method="GET", **headers):
        return await client.fetch(
            HTTPRequest(
                f"http://127.0.0.1:{port}/static/v/abc123/{name}",
                method=method,
                headers=headers,
                decompress_response=False,
            ),
            raise_error=False,
        )

    try:
        return await coro(get)
    finally:
        client.close()
        server.stop()


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "page.js").write_bytes(SCRIPT)
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    guard._gzipped.clear()
    return tmp_path


def test_a_class_at_once_gets_the_file_gzipped_once(folder):
    async def check(get):
        responses = await asyncio.gather(
            *(get("page.js", **{"Accept-Encoding": "gzip"}) for _ in range(20))
        )
        return responses

    responses = run(serving(folder, check))
    assert {r.code for r in responses} == {200}
    assert {r.headers["Content-Encoding"] for r in responses} == {"gzip"}
    assert all(r.headers["Vary"] == "Accept-Encoding" for r in responses)
    bodies = {r.body for r in responses}
    assert len(bodies) == 1, "every learner gets the same bytes"
    body = bodies.pop()
    assert gzip.decompress(body) == SCRIPT
    assert len(body) < len(SCRIPT) / 10
    assert int(responses[0].headers["Content-Length"]) == len(body)
    assert "immutable" in responses[0].headers["Cache-Control"]
    # one gzipped copy of the file is kept
    assert [key[0] for key in guard._gzipped] == [str(folder / "page.js")]


def test_a_changed_file_is_gzipped_again(folder):
    async def check(get):
        first = await get("page.js", **{"Accept-Encoding": "gzip"})
        (folder / "page.js").write_bytes(SCRIPT + b"// cambiado\n")
        second = await get("page.js", **{"Accept-Encoding": "gzip"})
        return first, second

    first, second = run(serving(folder, check))
    assert gzip.decompress(first.body) == SCRIPT
    assert gzip.decompress(second.body) == SCRIPT + b"// cambiado\n"
    assert len(guard._gzipped) == 1, "the earlier version is dropped"


def test_what_is_not_gzipped_is_the_file_as_it_is(folder):
    async def check(get):
        return {
            "no gzip asked": await get("page.js"),
            "a range": await get("page.js", **{"Accept-Encoding": "gzip", "Range": "bytes=0-99"}),
            "an image": await get("logo.png", **{"Accept-Encoding": "gzip"}),
            "missing": await get("nothing.js", **{"Accept-Encoding": "gzip"}),
        }

    got = run(serving(folder, check))
    assert got["no gzip asked"].body == SCRIPT
    assert "Content-Encoding" not in got["no gzip asked"].headers
    # Tornado's own path (which gzips a range as it is written, as before)
    ranged = got["a range"]
    assert ranged.code == 206
    assert (
        gzip.decompress(ranged.body)
        if ranged.headers.get("Content-Encoding") == "gzip"
        else ranged.body
    ) == SCRIPT[:100]
    assert got["an image"].body == (folder / "logo.png").read_bytes()
    assert "Content-Encoding" not in got["an image"].headers
    assert got["missing"].code == 404


def test_no_compress_serves_the_file_and_a_repeat_visit_is_not_sent_it_again(folder):
    async def off(get):
        return await get("page.js", **{"Accept-Encoding": "gzip"})

    plain = run(serving(folder, off, compress_response=False))
    assert plain.body == SCRIPT and "Content-Encoding" not in plain.headers

    async def again(get):
        first = await get("page.js", **{"Accept-Encoding": "gzip"})
        repeat = await get(
            "page.js", **{"Accept-Encoding": "gzip", "If-None-Match": first.headers["Etag"]}
        )
        head = await get("page.js", method="HEAD", **{"Accept-Encoding": "gzip"})
        return first, repeat, head

    first, repeat, head = run(serving(folder, again))
    assert repeat.code == 304 and repeat.body == b""
    assert head.code == 200 and head.body == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]
