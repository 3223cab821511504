"""``python -m bench``: the benchmark driver (bench/cli.py)."""

import sys

from bench.cli import main

sys.exit(main())
