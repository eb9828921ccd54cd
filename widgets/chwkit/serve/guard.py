"""What learners may reach, enforced the same way in every mode.

Two layers, each registered both by the standalone server (``chwkit serve``) and by the kit's
server extension under ``jupyter server`` (Binder, JupyterHub):

- **the contents manager** (:class:`LearnerContentsManager`): every read, listing, save or
  file download that goes through Jupyter's contents (Voila's renderer, ``/api/contents``,
  ``/files``, ``/nbconvert``) refuses the assessments folder (sources with answer keys and
  hidden tests, item files with their keys) and the data directory (gradebook, roster,
  submissions);
- **Voila's handlers** (:func:`learner_handlers`): the render handler only renders learner
  pages (an allowlist, :func:`check_render_path`), the file handler only sends images
  beside them, Voila's tree page and contents API are gone. The handlers are Voila's own
  list, passed through this one function by class, whichever mode built it.
"""

from __future__ import annotations

import asyncio
import contextvars
import gzip
import mimetypes
import os
import re
from pathlib import Path, PurePosixPath

import tornado.web
from jupyter_server.base.handlers import AuthenticatedFileHandler, FileFindHandler
from jupyter_server.services.contents.largefilemanager import LargeFileManager
from jupyter_server.utils import url_path_join
from traitlets import default
from voila.static_file_handler import (
    AllowListFileHandler,
    MultiStaticFileHandler,
    TemplateStaticFileHandler,
)
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from chwkit.core import paths
from chwkit.core.i18n import normalize_lang
from chwkit.serve.pages import error_key, render_error

LEARNER_PREFIXES = ("notebooks/", "forum_sessions/")
# Pages outside the module and forum folders that learners open (the rest of notebooks/ is
# for analysts in JupyterLab). The supervisor's dashboard asks for a supervisor's code in its
# kernel and shows nothing before it (chwkit.program.dashboard).
LEARNER_PAGES = {
    ("notebooks", "index.ipynb"),
    ("notebooks", "assessment.ipynb"),
    ("notebooks", "dashboard.ipynb"),
}
# Folders of the project no learner request may read: the nbgrader course (sources, items).
FORBIDDEN_FOLDERS = ("assessments", ".chwkit")
YEAR_S = 365 * 24 * 3600
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


# -- the render allowlist ---------------------------------------------------------------------
def is_learner_notebook(pure: PurePosixPath) -> bool:
    """Whether a notebook path is one learners and facilitators may open.

    An allowlist, not a prefix: ``notebooks/`` also holds analyst notebooks, which show
    forum contributions and are for JupyterLab only.
    """
    parts = pure.parts
    if parts in LEARNER_PAGES:
        return True
    if len(parts) == 4 and parts[:2] == ("notebooks", "modules"):
        return parts[3] == f"{parts[2]}.ipynb"  # notebooks/modules/<id>/<id>.ipynb
    return len(parts) == 2 and parts[0] == "forum_sessions"  # one notebook per session


def check_render_path(path: str | None, root: Path) -> tuple[int, str, dict] | None:
    """Why ``path`` (relative to the served root) may not be rendered, or None if it may."""
    path = path or ""
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or pure.is_absolute()
        or any(not _SAFE_PART.match(part) for part in pure.parts)
        or pure.suffix != ".ipynb"
        or not is_learner_notebook(pure)
    ):
        return 403, "error.forbidden", {}
    if not (root / path).is_file():
        if pure.parts[:2] == ("notebooks", "modules"):
            return 404, "error.unknown_module", {"name": pure.parts[2]}
        return 404, "error.title", {}
    return None


# -- forbidden files --------------------------------------------------------------------------
def forbidden_roots(root: str | os.PathLike) -> list[str]:
    """Real paths of the folders no learner request may read under ``root``."""
    found = [os.path.realpath(os.path.join(root, name)) for name in FORBIDDEN_FOLDERS]
    found.append(os.path.realpath(paths.data_dir(create=False)))
    return found


def is_forbidden(os_path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Whether ``os_path`` is (or is inside, links included) a forbidden folder."""
    real = os.path.realpath(os_path)
    return any(real == f or real.startswith(f + os.sep) for f in forbidden_roots(root))


class LearnerFilesHandler(AuthenticatedFileHandler):
    """Jupyter's ``/files/`` handler, refusing forbidden files as it refuses hidden ones."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str:
        checked = super().validate_absolute_path(root, absolute_path)
        if is_forbidden(checked, root):
            raise tornado.web.HTTPError(404)
        return checked


_listing: contextvars.ContextVar[str | None] = contextvars.ContextVar("listing", default=None)


class LearnerContentsManager(LargeFileManager):
    """Jupyter's contents manager without the assessments folder and the data directory.

    A forbidden path does not exist, as far as any request can tell: reading, listing,
    saving, renaming or deleting it answers 404, and folder listings leave it out.
    """

    @default("files_handler_class")
    def _files_handler_class_default(self):
        return LearnerFilesHandler

    def forbidden(self, path: str) -> bool:
        try:
            os_path = self._get_os_path(path.strip("/"))
        except tornado.web.HTTPError:  # outside the root: refused there already
            return True
        return is_forbidden(os_path, self.root_dir)

    def _refuse(self, *api_paths: str) -> None:
        if any(self.forbidden(p) for p in api_paths):
            raise tornado.web.HTTPError(404, "No such file or directory")

    def file_exists(self, path: str) -> bool:
        return not self.forbidden(path) and super().file_exists(path)

    def dir_exists(self, path: str) -> bool:
        return not self.forbidden(path) and super().dir_exists(path)

    def exists(self, path: str) -> bool:
        return not self.forbidden(path) and super().exists(path)

    def is_hidden(self, path: str) -> bool:
        return self.forbidden(path) or super().is_hidden(path)

    def get(self, path, content=True, type=None, format=None, require_hash=False):
        self._refuse(path)
        return super().get(
            path, content=content, type=type, format=format, require_hash=require_hash
        )

    def save(self, model, path=""):
        self._refuse(path)
        return super().save(model, path)

    def delete_file(self, path):
        self._refuse(path)
        return super().delete_file(path)

    def rename_file(self, old_path, new_path):
        self._refuse(old_path, new_path)
        return super().rename_file(old_path, new_path)

    def list_checkpoints(self, path):
        self._refuse(path)
        return super().list_checkpoints(path)

    def create_checkpoint(self, path):
        self._refuse(path)
        return super().create_checkpoint(path)

    def restore_checkpoint(self, checkpoint_id, path):
        self._refuse(path)
        return super().restore_checkpoint(checkpoint_id, path)

    def delete_checkpoint(self, checkpoint_id, path):
        self._refuse(path)
        return super().delete_checkpoint(checkpoint_id, path)

    def _dir_model(self, path, content=True):
        token = _listing.set(path.strip("/"))
        try:
            return super()._dir_model(path, content=content)
        finally:
            _listing.reset(token)

    def should_list(self, name: str) -> bool:
        # Asked for each entry of the folder being listed, by name only: the folder is known.
        folder = _listing.get()
        if folder is not None and self.forbidden(f"{folder}/{name}" if folder else name):
            return False
        return super().should_list(name)


# -- Voila's handlers, guarded ----------------------------------------------------------------
class GuardedVoilaHandler(TornadoVoilaHandler):
    """Voila's render handler, refusing anything but learner pages."""

    async def get(self, path=None):
        problem = check_render_path(path, Path(self.contents_manager.root_dir))
        raw_lang = self.get_query_argument("lang", None)
        if problem is None and raw_lang is not None and normalize_lang(raw_lang) is None:
            problem = (400, "error.unknown_lang", {"name": raw_lang[:40]})
        if problem:
            status, key, values = problem
            return render_error(self, status, key, **values)
        # Reading the token sets the _xsrf cookie, which the page's beforeunload beacon posts
        # to /voila/api/shutdown: without it the beacon is refused (403) and a closed tab's
        # kernel lives on until culled.
        _ = self.xsrf_token
        from chwkit.serve.admission import admit  # a class at once: a kernel each, or a wait

        return await admit(self, path, super().get)

    def write_error(self, status_code: int, **kwargs) -> None:
        render_error(self, status_code, error_key(status_code))


class LearnerFileHandler(AllowListFileHandler):
    """Voila's file handler: images beside learner notebooks; nothing else."""

    def validate_absolute_path(self, root, absolute_path):
        rel = os.path.relpath(absolute_path, root).replace(os.sep, "/")
        if rel.startswith("..") or not rel.startswith(LEARNER_PREFIXES):
            raise tornado.web.HTTPError(404)
        if is_forbidden(absolute_path, root):
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


# -- static files gzipped once ----------------------------------------------------------------
GZIP_MAX_BYTES = 16 * 2**20
# (absolute path, mtime, size) -> the file gzipped; the thread gzipping it meanwhile
_gzipped: dict[tuple[str, int, int], bytes] = {}
_gzipping: dict[tuple[str, int, int], asyncio.Future] = {}


def _compressible(path: str) -> bool:
    mime, _encoding = mimetypes.guess_type(path)
    return bool(mime) and (
        mime.startswith("text/") or mime in tornado.web.GZipContentEncoding.CONTENT_TYPES
    )


async def gzipped(absolute_path: str, stat: os.stat_result) -> bytes:
    """The file gzipped, from memory after the first time: one thread gzips it, once, while
    the requests that arrive meanwhile wait for that one result."""
    key = (absolute_path, stat.st_mtime_ns, stat.st_size)
    body = _gzipped.get(key)
    if body is not None:
        return body
    loop = asyncio.get_running_loop()
    future = _gzipping.get(key)
    if future is None or future.get_loop() is not loop:
        future = _gzipping[key] = loop.run_in_executor(None, _gzip_file, absolute_path)
    try:
        body = await asyncio.shield(future)
    finally:
        if future.done() and _gzipping.get(key) is future:
            del _gzipping[key]
    for earlier in [k for k in _gzipped if k[0] == absolute_path and k != key]:
        del _gzipped[earlier]  # an earlier version of the file
    _gzipped[key] = body
    return body


def _gzip_file(absolute_path: str) -> bytes:
    with open(absolute_path, "rb") as source:
        data = source.read()
    return gzip.compress(data, compresslevel=9, mtime=0)


class CompressedOnce(tornado.web.StaticFileHandler):
    """Static files gzipped once and kept in memory, not gzipped again for each request.

    With ``compress_response`` Tornado gzips every response as it is written. The learner
    page's 621 kB script then cost the server's only thread about 25 ms per first visit:
    most of a second of a class of 30 arriving at once, while their websockets waited.
    Here a thread gzips each file once, at the best level (it is done once), and every
    learner gets those bytes. The server's ``--no-compress`` (``compress_response`` off)
    and a request for a byte range get the file as it is, through Tornado's own path.
    """

    async def get(self, path: str, include_body: bool = True) -> None:
        if (
            self.settings.get("compress_response") is False
            or "gzip" not in self.request.headers.get("Accept-Encoding", "")
            or self.request.headers.get("Range")
            or not _compressible(path)
        ):
            return await super().get(path, include_body)
        self.path = self.parse_url_path(path)
        absolute_path = self.get_absolute_path(self.root, self.path)
        self.absolute_path = self.validate_absolute_path(self.root, absolute_path)
        if self.absolute_path is None:
            return
        stat = self._stat()
        if stat.st_size > GZIP_MAX_BYTES:
            return await super().get(path, include_body)
        self.modified = self.get_modified_time()
        self.set_headers()
        if not self.settings.get("compress_response"):
            self.set_header("Vary", "Accept-Encoding")  # Tornado's gzip would say it
        if self.should_return_304():
            self.set_status(304)
            return
        try:
            body = await gzipped(self.absolute_path, stat)
        except OSError as exc:
            raise tornado.web.HTTPError(404) from exc
        self.set_header("Content-Encoding", "gzip")
        self.set_header("Content-Length", len(body))
        if include_body:
            self.write(body)


class LearnerTemplateFileHandler(CompressedOnce, TemplateStaticFileHandler):
    """Voila's template files (``<template>/static/<path>``): a path that climbs out, or is
    not of that form, is not found (Voila's own handler fails on it with a server error)."""

    def parse_url_path(self, path):
        parts = PurePosixPath(path).parts
        if len(parts) < 3 or parts[1] != "static" or ".." in parts or "\\" in path:
            raise tornado.web.HTTPError(404)
        return super().parse_url_path(path)


class VersionedStaticHandler(CompressedOnce, MultiStaticFileHandler):
    """Voila's static files under a versioned URL: the browser keeps them for a year."""

    def get_cache_time(self, path, modified, mime_type):
        return YEAR_S

    def set_extra_headers(self, path):
        self.set_header("Cache-Control", f"public, max-age={YEAR_S}, immutable")


# Voila's handler -> the kit's; None: the route is dropped (the tree page and the contents
# API would list every folder).
REPLACED: dict[type, type | None] = {
    TornadoVoilaHandler: GuardedVoilaHandler,
    AllowListFileHandler: LearnerFileHandler,
    TemplateStaticFileHandler: LearnerTemplateFileHandler,
    TornadoVoilaTreeHandler: None,
    VoilaContentsHandler: None,
}


def learner_handlers(handlers: list, base_url: str) -> list:
    """Voila's handlers (standalone or server extension) with the kit's guards in place."""
    guarded = []
    for pattern, cls, *rest in handlers:
        if cls in REPLACED:
            if REPLACED[cls] is None:
                continue
            cls = REPLACED[cls]
        elif cls is FileFindHandler:
            # Voila's lab extensions: content-hashed files (asked for with ?v=hash), cacheable.
            rest = [{**rest[0], "no_cache_paths": []}, *rest[1:]]
        elif cls is MultiStaticFileHandler:
            # Before Voila's own route, which would match the versioned URLs too.
            versioned = url_path_join(base_url, "/voila/static/v/[0-9a-f]+/(.*)")
            guarded.append((versioned, VersionedStaticHandler, *rest))
        guarded.append((pattern, cls, *rest))
    return guarded
