"""python -m sandbox: see sandbox/sandbox.py."""

from sandbox.sandbox import main

main()
