"""chwkit: a Jupyter kit for community health worker and promotora training programs.

The notebook-facing API is this package's top level: ``from chwkit import Module``.
Kept import-light on purpose: every learner kernel imports this package, and a
learner kernel must stay small (no pandas, no nbgrader here), so names load on first use.
"""

__version__ = "0.1.0"

__all__ = ["Module"]


def __getattr__(name: str):
    if name == "Module":
        from chwkit.learn.page import Module

        return Module
    raise AttributeError(f"module 'chwkit' has no attribute {name!r}")
