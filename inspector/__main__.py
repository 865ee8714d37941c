"""``python -m inspector``: the same as the ``inspector`` console script."""

from inspector.cli import console

console()
