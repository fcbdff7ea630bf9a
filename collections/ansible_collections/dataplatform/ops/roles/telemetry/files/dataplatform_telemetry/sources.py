"""The places log lines come from: files the services write, and the systemd journal.

Every event carries its source's position after it, so the agent can record, once CloudWatch has
accepted a batch, exactly how far each source was shipped.
"""

from __future__ import annotations

import collections
import fcntl
import json
import os
import subprocess
import time
from dataclasses import dataclass

# CloudWatch Logs takes events of up to 1 MiB; a longer line is cut there.
MAX_EVENT_BYTES = 200_000
_READ_CHUNK = 256 * 1024


@dataclass
class Event:
    timestamp: int  # milliseconds since the epoch
    message: str
    source: str
    position: object  # the source's position after this event


class Source:
    """Events read ahead and not yet taken stay in ``pending``; ``unread`` gives one back."""

    def __init__(self, name: str):
        self.name = name
        self.pending: collections.deque[Event] = collections.deque()
        self._last_timestamp = 0

    def take(self) -> Event | None:
        if not self.pending:
            self._fill()
        return self.pending.popleft() if self.pending else None

    def unread(self, event: Event) -> None:
        self.pending.appendleft(event)

    def close(self) -> None:
        pass

    def _fill(self) -> None:
        raise NotImplementedError

    def _event(self, timestamp: int, message: str, position) -> Event:
        # Within one source timestamps never go back (a clock step may make them): CloudWatch wants
        # a batch in time order, and a source's events must stay in their order for the checkpoint.
        self._last_timestamp = max(timestamp, self._last_timestamp)
        encoded = message.encode("utf-8", "replace")
        if len(encoded) > MAX_EVENT_BYTES:
            message = encoded[:MAX_EVENT_BYTES].decode("utf-8", "ignore") + " [truncated]"
        return Event(self._last_timestamp, message, self.name, position)


class FileSource(Source):
    """A log file followed across rotation (rename and recreate, or truncation).

    The position is the file's inode and the offset after the last whole line shipped. On start,
    a checkpoint naming another inode than the path's is looked for among the directory's files
    (the service rotated the file while the agent was down) and its rest is shipped first.
    """

    def __init__(self, name: str, path: str, checkpoint: dict | None, label: str | None = None):
        super().__init__(name)
        self.path = path
        self.label = label or name
        self.handle = None
        self.inode = None
        self.offset = 0
        self.partial = b""
        self._resume(checkpoint)

    def _resume(self, checkpoint: dict | None) -> None:
        if not checkpoint:
            return
        inode, offset = checkpoint.get("inode"), checkpoint.get("offset", 0)
        candidates = [self.path]
        directory = os.path.dirname(self.path) or "."
        try:
            candidates += [os.path.join(directory, entry) for entry in sorted(os.listdir(directory))]
        except OSError:
            pass
        for candidate in candidates:
            try:
                if os.stat(candidate).st_ino == inode:
                    self._open(candidate, offset)
                    return
            except OSError:
                continue

    def _open(self, path: str, offset: int) -> None:
        self.handle = open(path, "rb")  # pylint: disable=consider-using-with
        stat = os.fstat(self.handle.fileno())
        self.inode = stat.st_ino
        self.offset = offset if offset <= stat.st_size else 0
        self.handle.seek(self.offset)
        self.partial = b""

    def _path_inode(self):
        try:
            return os.stat(self.path).st_ino
        except OSError:
            return None

    def _fill(self) -> None:
        if self.handle is None:
            if self._path_inode() is None:
                return
            # A file first seen is shipped from its beginning: it was created for the service's
            # start, and its first lines are the ones that say why a start went wrong.
            self._open(self.path, 0)
        if os.fstat(self.handle.fileno()).st_size < self.handle.tell():
            self._open(self.path, 0)  # truncated in place (copytruncate)
        data = self.handle.read(_READ_CHUNK)
        rotated = not data and self._path_inode() not in (None, self.inode)
        if rotated and self.partial:
            data = b"\n"  # the rotated file's last line is whole even without its newline
        if data:
            self._split(data)
        if rotated and not self.pending:
            self.handle.close()
            self._open(self.path, 0)

    def _split(self, data: bytes) -> None:
        """Whole lines become events; the offset (and so the checkpoint) never passes a part line."""
        buffer, base, start = self.partial + data, self.offset, 0
        now = int(time.time() * 1000)
        while (end := buffer.find(b"\n", start)) >= 0:
            line = buffer[start:end].rstrip(b"\r")
            if line:
                text = f"[{self.label}] " + line.decode("utf-8", "replace")
                self.pending.append(self._event(now, text, {"inode": self.inode, "offset": base + end + 1}))
            start = end + 1
        self.offset = base + start
        self.partial = buffer[start:]

    def close(self) -> None:
        if self.handle:
            self.handle.close()


class JournalSource(Source):
    """The host's systemd journal, through ``journalctl --follow --output=json``.

    The position is the journal cursor of the last entry. Without a checkpoint it starts at the
    current boot's first entry. Units in ``exclude_units`` (the agent's own) are skipped, so the
    agent's messages about failed writes do not feed themselves.
    """

    FIELDS = "MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER,_PID,PRIORITY"

    def __init__(self, name: str, checkpoint: str | None, exclude_units=(), journalctl: str = "journalctl"):
        super().__init__(name)
        self.cursor = checkpoint
        self.exclude_units = set(exclude_units)
        self.journalctl = journalctl
        self.process = None
        self.buffer = b""
        self.next_start = 0.0

    def fileno(self):
        return self.process.stdout.fileno() if self.process else None

    def _start(self) -> None:
        command = [self.journalctl, "--follow", "--output=json", "--no-pager", "--all",
                   f"--output-fields={self.FIELDS}"]
        command += [f"--after-cursor={self.cursor}"] if self.cursor else ["--boot"]
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        descriptor = self.process.stdout.fileno()
        fcntl.fcntl(descriptor, fcntl.F_SETFL, fcntl.fcntl(descriptor, fcntl.F_GETFL) | os.O_NONBLOCK)
        self.buffer = b""

    def _fill(self) -> None:
        if self.process is None or self.process.poll() is not None:
            if time.monotonic() < self.next_start:
                return
            self.next_start = time.monotonic() + 10  # journalctl died: start it again, not in a loop
            self._start()
        try:
            data = os.read(self.process.stdout.fileno(), _READ_CHUNK)
        except BlockingIOError:
            return
        if not data:
            return
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self._parse(line)

    def _parse(self, line: bytes) -> None:
        try:
            entry = json.loads(line)
        except ValueError:
            return
        cursor = entry.get("__CURSOR")
        self.cursor = cursor or self.cursor
        if entry.get("_SYSTEMD_UNIT") in self.exclude_units:
            return
        message = entry.get("MESSAGE")
        if isinstance(message, list):  # journald gives non-UTF-8 messages as byte arrays
            message = bytes(message).decode("utf-8", "replace")
        if not message:
            return
        identifier = entry.get("SYSLOG_IDENTIFIER") or entry.get("_SYSTEMD_UNIT") or "journal"
        pid = f"[{entry['_PID']}]" if entry.get("_PID") else ""
        timestamp = int(entry.get("__REALTIME_TIMESTAMP", time.time() * 1_000_000)) // 1000
        self.pending.append(self._event(timestamp, f"[journal] {identifier}{pid}: {message}", cursor))

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
