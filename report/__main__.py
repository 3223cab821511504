"""``python -m report``: write target/usage_report.html (see report/cli.py)."""

import sys

from report.cli import main

sys.exit(main())
