"""``python -m stylehead``: see :mod:`stylehead.cli`."""

import sys

from stylehead.cli import main

if __name__ == "__main__":  # not when a worker process of `batch --workers` imports this module again
    sys.exit(main())
