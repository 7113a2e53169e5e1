"""``python -m tonecheck`` is the ``tonecheck`` command."""

import sys

from .cli import main

sys.exit(main())
