"""The program's records: who signed in, each learner's progress through modules and tracks,
assessment results, certificates, and the exports a program reports from.

- ``store``: the records store (SQLAlchemy; SQLite in the data directory, or PostgreSQL);
- ``mastery``: when a module counts as completed;
- ``client``: what a learner's kernel uses to send its events to the server;
- ``progress``: a learner's tracks, modules, scores and hours, as the "My progress" page shows;
- ``results``: a submission graded by nbgrader at once, in the background;
- ``certificates``: who has completed a track, the PDF, verification and revocation;
- ``export``: tidy tables of the records (CSV, Parquet, datapackage.json);
- ``cli``: ``chwkit records`` and ``chwkit certificate``.
"""
