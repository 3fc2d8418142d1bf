"""``python -m pytok_sm``: the same as the ``pytok`` command (see :mod:`pytok_sm.cli`)."""

import sys

from pytok_sm.cli import main

sys.exit(main())
