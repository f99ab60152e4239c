"""`python -m orbitfit.cli`: the same as the `orbitfit` command."""
import sys

from . import main

sys.exit(main())
