"""The machine's package caches: test and sandbox hosts install exactly as production hosts do
(``apt-get install``, ``pip install``), but after the first time the files come from this machine.

* **Debian packages**: an apt-cacher-ng instance of the project's own (not the distribution's
  service), on port 13142 of every interface of the machine, so that containers on podman networks
  reach it as ``host.containers.internal``. The host image's apt asks for it at every download
  (``Acquire::http::Proxy-Auto-Detect``, see ``host-image.sh``) and goes to the Debian mirror
  directly when it does not answer. ``debootstrap`` builds the image through it too.
* **The Airflow virtualenv**: a wheelhouse of every package of the airflow role's
  ``requirements.txt`` and ``constraints.txt``, built once per pin set in a container of the host
  image (Debian 13, its Python), served over HTTP on port 13143 of every interface (the hosts ask
  ``host.containers.internal``). The role installs from it with ``--find-links``, ``--no-index``
  and ``--trusted-host`` (the options an air-gapped account's internal index takes).

Both live under ``$DATAPLATFORM_CACHE_DIR`` (default ``~/.cache/dataplatform-ops``), outside the
clone, and survive between runs; a cold machine fills them on first use. ::

    python -m sandbox.package_cache start        # the apt cache (make package-cache)
    python -m sandbox.package_cache wheelhouse   # the Airflow wheelhouse, built if due, and its server
    python -m sandbox.package_cache status
    python -m sandbox.package_cache stop         # both servers (the cached files stay)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sandbox.podman_hosts import HOST_CA_BUNDLE, host_image, podman

REPO_ROOT = Path(__file__).resolve().parent.parent

CACHE_ROOT = Path(os.environ.get("DATAPLATFORM_CACHE_DIR", Path.home() / ".cache" / "dataplatform-ops"))
# Fixed, because the host image carries the apt cache's port (host-image.sh).
APT_CACHE_PORT = 13142
WHEELHOUSE_PORT = 13143
# How podman containers name the machine, from any network (their gateway, or the host's address).
HOSTS_NAME_FOR_MACHINE = "host.containers.internal"
AIRFLOW_FILES = REPO_ROOT / "collections" / "ansible_collections" / "dataplatform" / "ops" / "roles" / "airflow" / "files"
AIRFLOW_PIN_FILES = ("requirements.txt", "constraints.txt")
COMPLETE_MARK = ".complete"


def _get(url: str, timeout: float = 2) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.read()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def _log(message: str) -> None:
    print(f"[package-cache] {message}", file=sys.stderr, flush=True)


# --- Debian packages ------------------------------------------------------------------------

def apt_cache_dir() -> Path:
    return CACHE_ROOT / "apt-cacher-ng"


def apt_cache_answers() -> bool:
    report = _get(f"http://127.0.0.1:{APT_CACHE_PORT}/acng-report.html")
    return report is not None and b"Apt-Cacher" in report


def apt_cache_config() -> Path:
    """The instance's configuration: no remapping to mirror lists (a request goes to the host it
    names, the only mirrors this machine reaches), the cache and logs under the cache folder."""
    folder = apt_cache_dir()
    for sub in ("cache", "log", "run", "conf"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    config = folder / "conf" / "acng.conf"
    config.write_text(
        "# Written by sandbox/package_cache.py.\n"
        f"CacheDir: {folder / 'cache'}\n"
        f"LogDir: {folder / 'log'}\n"
        "SupportDir: /usr/lib/apt-cacher-ng\n"
        f"Port: {APT_CACHE_PORT}\n"
        # Every interface: containers on podman networks come from their bridge's gateway.
        "BindAddress: 0.0.0.0\n"
        f"PidFile: {folder / 'run' / 'pid'}\n"
        f"SocketPath: {folder / 'run' / 'socket'}\n"
        "ExThreshold: 4\n"
        # Answers GET /acng-report.html: how the harness knows the cache runs.
        "ReportPage: acng-report.html\n"
    )
    return config.parent


def ensure_apt_cache(timeout: float = 20) -> str:
    """Starts the apt cache unless it answers; returns its proxy URL on this machine."""
    if not apt_cache_answers():
        config = apt_cache_config()
        subprocess.run(["apt-cacher-ng", "-c", str(config), "ForeGround=0"], check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not apt_cache_answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"apt-cacher-ng did not answer on port {APT_CACHE_PORT}; "
                                   f"see {apt_cache_dir() / 'log'}")
            time.sleep(0.2)
    return f"http://127.0.0.1:{APT_CACHE_PORT}"


# --- The Airflow wheelhouse -----------------------------------------------------------------

def wheelhouse_key(image: str) -> str:
    """One wheelhouse per pin set and host image (its Python decides which wheels fit)."""
    digest = hashlib.sha256(image.encode())
    for name in AIRFLOW_PIN_FILES:
        digest.update((AIRFLOW_FILES / name).read_bytes())
    return digest.hexdigest()[:16]


def wheelhouse_root() -> Path:
    return CACHE_ROOT / "wheelhouse"


def ensure_wheelhouse(image: str | None = None) -> Path:
    """The wheelhouse of the current pins, built on first use: ``pip wheel`` in a container of the
    host image, downloading from the package index (through the machine's CA bundle)."""
    image = image or host_image()
    folder = wheelhouse_root() / wheelhouse_key(image)
    if (folder / COMPLETE_MARK).exists():
        return folder
    building = folder.with_name(folder.name + ".building")
    subprocess.run(["rm", "-rf", str(building)], check=True)
    building.mkdir(parents=True)
    _log(f"building the Airflow wheelhouse {folder.name} (once per pin set)")
    args = ["run", "--rm", "--network", "host", "--volume", f"{AIRFLOW_FILES}:/pins:ro",
            "--volume", f"{building}:/wheelhouse:rw"]
    if HOST_CA_BUNDLE.exists():
        args += ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro", "--env", f"PIP_CERT={HOST_CA_BUNDLE}"]
    script = ("set -eu; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; "
              "python3 -m venv /tmp/venv; /tmp/venv/bin/pip wheel --quiet --disable-pip-version-check "
              "--requirement /pins/requirements.txt --constraint /pins/constraints.txt --wheel-dir /wheelhouse")
    result = podman(*args, image, "/bin/sh", "-c", script, check=False, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"building the wheelhouse failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    (building / COMPLETE_MARK).write_text(f"{image}\n")
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    building.rename(folder)
    return folder


def _server_pid_file() -> Path:
    return wheelhouse_root() / "server.pid"


def wheelhouse_server_answers() -> bool:
    return _get(f"http://127.0.0.1:{WHEELHOUSE_PORT}/") is not None


def ensure_wheelhouse_server(timeout: float = 20) -> None:
    """Serves the wheelhouse folder on every interface, for the hosts on podman networks (a plain
    HTTP directory listing, which pip reads with --find-links)."""
    if wheelhouse_server_answers():
        return
    root = wheelhouse_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "server.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "0.0.0.0", "--directory", str(root), str(WHEELHOUSE_PORT)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _server_pid_file().write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while not wheelhouse_server_answers():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the wheelhouse server did not start on port {WHEELHOUSE_PORT}; see {root / 'server.log'}")
        time.sleep(0.1)


def served_find_links(image: str) -> str:
    """The wheelhouse URL when the current pins' wheelhouse is built and served, else "" (nothing
    is built or started here)."""
    folder = wheelhouse_root() / wheelhouse_key(image)
    if (folder / COMPLETE_MARK).exists() and wheelhouse_server_answers():
        return f"http://{HOSTS_NAME_FOR_MACHINE}:{WHEELHOUSE_PORT}/{folder.name}/"
    return ""


def airflow_find_links(image: str | None = None) -> str:
    """The URL the airflow role's pip reads the wheelhouse from, after making sure it is built and served."""
    image = image or host_image()
    ensure_wheelhouse(image)
    ensure_wheelhouse_server()
    return served_find_links(image)


def stop() -> None:
    pid_file = apt_cache_dir() / "run" / "pid"
    for path in (pid_file, _server_pid_file()):
        try:
            os.kill(int(path.read_text()), signal.SIGTERM)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            pass
        path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "wheelhouse", "status", "stop"])
    args = parser.parse_args()
    if args.command == "start":
        ensure_apt_cache()
    elif args.command == "wheelhouse":
        print(airflow_find_links())
    elif args.command == "status":
        print(f"apt cache on port {APT_CACHE_PORT}: {'answers' if apt_cache_answers() else 'not running'}")
        print(f"wheelhouse server on port {WHEELHOUSE_PORT}: {'answers' if wheelhouse_server_answers() else 'not running'}")
        print(f"cache folder: {CACHE_ROOT}")
    else:
        stop()


if __name__ == "__main__":
    main()
