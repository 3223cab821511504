"""``python -m report``: write target/usage_report.html (see report/usage_report.py)."""

import sys

from report.usage_report import main

sys.exit(main())
