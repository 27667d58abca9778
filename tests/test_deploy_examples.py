"""The deployment examples in examples/deploy: the systemd unit passes `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "examples" / "deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_systemd_unit_verifies(tmp_path):
    unit = (DEPLOY / "earful.service").read_text()
    earful = Path(sys.executable).with_name("earful")
    assert earful.exists(), "earful is installed beside this Python"
    # the unit's paths are an installation's; point them at this checkout's so verify can check the command
    unit = unit.replace("/opt/earful/.venv/bin/earful", str(earful))
    (tmp_path / "earful.service").write_text(unit)
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "earful.service")],
                          capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and only warns, naming the file: any line about the unit is a problem
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "earful.service" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_the_proxy_sends_slack_and_push_to_the_default_listener():
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_pass http://127.0.0.1:3000;" in conf
    assert "slack/events" in conf and "ingest" in conf and "deny all;" in conf
