"""Page templates compiled once per server, not once per learner page.

Voila renders every page with a new ``VoilaExporter``, and nbconvert gives each exporter a new
Jinja environment: every page compiled the kit's template and those it extends again
(index.html.j2, base.html.j2, display_priority.j2, null.j2, ...). Profiled in a 30-learner
burst, compiling was a third of the server's event-loop time, all on its one thread.

Jinja's answer for environments that come and go is a bytecode cache: the compiled code of a
template, checked against the template's source, reused by any environment configured alike.
:class:`SharedTemplateCode` keeps it in memory (a code object is immutable; each environment
still builds its own ``Template`` from it, with its own filters and globals), keyed by
everything in an environment's configuration that changes what the compiler writes.

Voila has no option for its exporter class, so :func:`install` puts a subclass of
``VoilaExporter`` in ``voila.notebook_renderer`` (the one place Voila builds exporters), both
under ``chwkit serve`` and in server-extension mode.
"""

from __future__ import annotations

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache


def compile_settings(environment: Environment) -> tuple:
    """What in an environment's configuration changes the code its compiler writes."""
    return (
        environment.is_async,
        environment.optimized,
        tuple(sorted(environment.extensions)),
        repr(environment.autoescape),
        repr(environment.finalize),
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.code_generator_class,
    )


class SharedTemplateCode(BytecodeCache):
    """Compiled templates in memory, shared by every environment configured alike."""

    def __init__(self) -> None:
        self._code: dict[tuple, tuple[str, object]] = {}
        self.compiled = 0  # templates compiled (cache misses), for tests and logs

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        key = (compile_settings(environment), self.get_cache_key(name, filename))
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)
        self.compiled += 1


SHARED = SharedTemplateCode()


def install() -> None:
    """Make every exporter Voila builds from now on share :data:`SHARED` (idempotent)."""
    import voila.notebook_renderer as renderer

    if getattr(renderer.VoilaExporter, "chwkit_shared_templates", False):
        return

    class SharedTemplatesExporter(renderer.VoilaExporter):
        chwkit_shared_templates = True

        def _create_environment(self):
            environment = super()._create_environment()
            environment.bytecode_cache = SHARED
            return environment

    renderer.VoilaExporter = SharedTemplatesExporter
