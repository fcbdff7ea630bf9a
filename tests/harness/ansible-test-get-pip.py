"""Stand-in for the pip bootstrap script ansible-test downloads into its virtualenvs.

ansible-test bootstraps pip in each of its sanity virtualenvs with a ``get-pip.py`` fetched from
a host outside the package registries this project may use. This script does the same job with
what Python ships (``ensurepip``) and then installs the exact packages ansible-test asked for
from the configured package index. The Makefile puts it where ansible-test caches its download.
"""

import subprocess
import sys

# ansible-test passes pip options and pinned packages; ensurepip's own options differ, so it
# runs plainly and the requested versions are installed on top.
subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True,
               stdout=subprocess.DEVNULL)
arguments = [argument for argument in sys.argv[1:] if argument not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "pip", "install", *arguments], check=True)
