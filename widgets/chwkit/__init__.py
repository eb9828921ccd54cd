"""chwkit: a Jupyter kit for community health worker and promotora training programs.

Kept import-light on purpose: every learner kernel imports this package, and a
learner kernel must stay small (no pandas, no nbgrader here).
"""

__version__ = "0.1.0"
