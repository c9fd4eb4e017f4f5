"""`python -m benchmarks`: every benchmark in one table (see benchmarks/suite.py)."""

import sys

from benchmarks.suite import main

sys.exit(main())
