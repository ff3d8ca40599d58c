"""`python -m server.evidence.verify BUNDLE.zip`, the same as `mediate verify`."""

import sys

from server.evidence.verify.cli import main

sys.exit(main())
