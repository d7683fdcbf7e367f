"""`zhen review serve`: a local review editor over a run's output folder.

``articles`` reads a run's article folders and re-renders one after a correction (through the
run's own analysis, verification, render, QA and writers); ``state`` keeps segment statuses,
drafts and history in the translation memory's SQLite file, written with the memory row in one
transaction; ``app`` is the web application (Starlette), its pages and its guards.
"""
