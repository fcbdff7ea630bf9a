"""python -m sandbox: see sandbox/sandbox.py."""

from sandbox.cli import main

main()
