"""``python -m inspector``: the same as the ``inspector`` console script."""

import sys

from inspector.cli import main

sys.exit(main())
