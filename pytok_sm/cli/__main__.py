"""``python -m pytok_sm.cli``: the same as the ``pytok`` command."""

import sys

from . import main

sys.exit(main())
