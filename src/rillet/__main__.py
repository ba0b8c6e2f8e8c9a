"""``python -m rillet``: the ``rillet`` command."""

import sys

from rillet._cli import main

sys.exit(main())
