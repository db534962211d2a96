"""`kvalitetsloop web` serves the portal as a user starts it (a process), and `kvalitetsloop link`
hands out working links; mistakes are one sentence."""

from __future__ import annotations

import os
import subprocess
import time

import httpx

from notifications.mailsink import free_port
from tests.conftest import KVALITETSLOOP, Cli


def test_web_serves_the_portal_and_link_prints_a_data_team_link(small_loop, tmp_path):
    port = free_port()
    env = {**os.environ, "KVALITETSLOOP_DATABASE_URL": small_loop, "KVALITETSLOOP_BASE_URL": f"http://127.0.0.1:{port}"}
    link = Cli(small_loop, tmp_path)("link", "data-team", "--now", "2027-05-03T09:00+02:00").stdout.strip()
    proc = subprocess.Popen([str(KVALITETSLOOP), "web", "--port", str(port), "--now", "2027-05-03T09:00+02:00"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
                time.sleep(0.3)
        assert home.status_code == 200 and '<html lang="da">' in home.text
        assert home.headers["content-security-policy"].startswith("default-src 'none'")
        page = httpx.get(link.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}"), timeout=30)
        assert page.status_code == 200 and "Bestilte datapakker" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    busy = subprocess.run([str(KVALITETSLOOP), "web", "--port", "70000"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert busy.returncode == 2 and "Traceback" not in busy.stderr
    public = subprocess.run([str(KVALITETSLOOP), "web", "--host", "0.0.0.0", "--port", str(port)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert public.returncode == 2 and "KVALITETSLOOP_LINK_SECRET is the development value" in public.stderr
