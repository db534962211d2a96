"""A local SMTP server (aiosmtpd) that stores every message it receives as an .eml file.

    python -m notifications.mailsink --dir var/mail [--host 127.0.0.1] [--port 8025] [--discard]

Used by `kvalitetsloop mailsink`, the simulation, the tests and the benchmark. The file holds the
received bytes unchanged; its name carries a running number and the envelope recipient.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


class FileSink:
    """aiosmtpd handler: write each message to DIR/NNNNNN-recipient.eml (or only count it)."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            start = len(list(directory.glob("*.eml")))
        else:
            start = 0
        self._numbers = itertools.count(start + 1)
        self._lock = threading.Lock()
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            n = next(self._numbers)
            self.received += 1
        if self.directory is not None:
            rcpt = _UNSAFE.sub("_", envelope.rcpt_tos[0] if envelope.rcpt_tos else "unknown")[:80]
            path = self.directory / f"{n:06d}-{rcpt}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(envelope.original_content or envelope.content)
            os.replace(tmp, path)
        return "250 OK: stored"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the mail sink on {host}:{port} did not start") from None
            time.sleep(0.05)


def start_controller(directory: Path | None, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(FileSink(directory), hostname=host, port=port, data_size_limit=None)
    controller.start()
    return controller


def start_process(directory: Path | None, host: str = "127.0.0.1", port: int | None = None,
                  discard: bool = False) -> tuple[subprocess.Popen, int]:
    """The sink in its own process (so it does not share a CPU's GIL with the sender)."""
    port = port or free_port(host)
    args = [sys.executable, "-m", "notifications.mailsink", "--host", host, "--port", str(port)]
    if discard or directory is None:
        args.append("--discard")
    else:
        args += ["--dir", str(directory)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(host, port)
    except RuntimeError:
        proc.kill()
        raise
    return proc, port


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(directory: Path | None, host: str, port: int, announce=print) -> None:
    """Run until interrupted (Ctrl-C or SIGTERM)."""
    controller = start_controller(directory, host, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    where = f"storing messages in {directory}" if directory else "discarding messages"
    announce(f"Mail sink listening on {host}:{port}, {where}. Stop with Ctrl-C.")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dir", type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--discard", action="store_true")
    a = p.parse_args(argv)
    serve(None if a.discard else (a.dir or Path("var/mail")), a.host, a.port)


if __name__ == "__main__":
    main()
