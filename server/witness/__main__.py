"""``python -m server.witness``: the same as ``mediate witness``."""

import sys

from server.witness.command import main

sys.exit(main())
