"""Run the ``eore`` command from a checkout: ``python -m eore serve``."""

from .cli import main

main()
