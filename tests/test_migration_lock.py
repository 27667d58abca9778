"""Any number of workers may start together on a new database: one migrates, the others find the schema
current (a file lock beside an SQLite database, an advisory lock on PostgreSQL); then each syncs the config's
brands and sources, one at a time, so none of them trips over the rows another just added."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.fixtures.database import POSTGRES_URL, _postgres_admin

ROOT = Path(__file__).resolve().parents[1]
STARTS = 3
# each process waits at a barrier file, so all of them reach the migration within a few milliseconds
STARTER = """
import sys, time, pathlib
go = pathlib.Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
from datetime import datetime, timezone
from monitors.configure import parse_config
from monitors.sync import apply_config
from storage.db import open_database
engine = open_database(sys.argv[1])
config = parse_config({
    "brands": [{"name": "Acme", "query": "acme"}, {"name": "Globex", "query": "globex", "competitor": True}],
    "sources": [{"name": f"feed-{n}", "kind": "feed", "url": f"https://example.com/{n}.xml"} for n in range(50)],
})
apply_config(engine, config, now=datetime.now(timezone.utc))
engine.dispose()
print("ok")
"""


def start_together(url: str, tmp_path: Path) -> list[subprocess.CompletedProcess]:
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", STARTER, url, str(go)], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(STARTS)]
    go.touch()
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def assert_all_started(done: list[subprocess.CompletedProcess]) -> None:
    for proc in done:
        assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_three_workers_start_together_on_a_new_sqlite_database(tmp_path):
    assert_all_started(start_together(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path))


@pytest.mark.postgres
def test_three_workers_start_together_on_a_new_postgresql_database(tmp_path):
    admin = _postgres_admin()
    if admin is None:
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    name = f"earful_fresh_{uuid.uuid4().hex[:10]}"
    autocommit = admin.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        assert_all_started(start_together(url, tmp_path))
    finally:
        with autocommit.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
