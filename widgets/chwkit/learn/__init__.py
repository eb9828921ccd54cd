"""The learning flow: a module's spec (``spec``), its page (``page``), its practice questions
(``practice``). Notebooks use ``from chwkit import Module``."""
