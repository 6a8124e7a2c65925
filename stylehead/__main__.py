"""``python -m stylehead``: see :mod:`stylehead.cli`."""

import sys

from stylehead.cli import main

sys.exit(main())
