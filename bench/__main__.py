"""``python -m bench``: the benchmark driver (see bench/run.py)."""

import sys

from bench.run import main

sys.exit(main())
