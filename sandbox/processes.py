"""The sandbox's background processes (the emulator, the AWX stand-in): found by their pid files,
stopped as a process group."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path


def running_pid(pid_file: Path) -> int | None:
    """The process id in ``pid_file`` while that process runs."""
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
        return None


def stop_process_group(running) -> None:
    """Stops the process group of ``running()``'s process: SIGTERM, then SIGKILL after 10 seconds."""
    pid = running()
    if pid:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while running() and time.monotonic() < deadline:
            time.sleep(0.1)
        if running():
            os.killpg(pid, signal.SIGKILL)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
