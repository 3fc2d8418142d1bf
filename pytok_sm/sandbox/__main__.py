"""Run the sandbox: ``python -m pytok_sm.sandbox [--port N]``."""

from pytok_sm.sandbox import main

raise SystemExit(main())
