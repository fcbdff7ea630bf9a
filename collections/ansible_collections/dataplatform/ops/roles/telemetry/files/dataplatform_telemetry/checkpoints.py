"""Where each source has been shipped up to, kept on disk between runs."""

from __future__ import annotations

import json
import os
import tempfile


class Checkpoints:
    """A JSON file of source name -> position, rewritten atomically after each accepted batch."""

    def __init__(self, path: str):
        self.path = path
        try:
            with open(path, encoding="utf-8") as handle:
                self.positions = json.load(handle)
        except FileNotFoundError:
            self.positions = {}
        except ValueError:
            # A torn file cannot happen with the atomic rename below; one edited by hand can. Start
            # over from the sources' beginnings rather than refuse to ship anything.
            self.positions = {}

    def get(self, source: str):
        return self.positions.get(source)

    def advance(self, positions: dict) -> None:
        self.positions.update(positions)
        directory = os.path.dirname(self.path) or "."
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".checkpoints-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(self.positions, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
