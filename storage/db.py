"""Engine and session setup. SQLite (WAL) is the embedded default; PostgreSQL comes through DATABASE_URL."""

from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session

DEFAULT_URL = "sqlite:///earful.db"
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK_KEY = 0x6561_7266_756C  # "earful": the advisory lock migrations take on PostgreSQL
CONFIG_LOCK_KEY = MIGRATION_LOCK_KEY + 1  # the one the config sync takes


class StorageError(Exception):
    """A database that cannot be used, told in words a user can act on."""


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and route it to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def shown_url(url: str) -> str:
    """`url` fit for a terminal or a log: its password, if it has one, as ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL at all: whatever sits between "//" and "@" may be a secret
        return re.sub(r"(?<=//)[^/@]*(?=@)", "***", url)


def make_engine(url: str = DEFAULT_URL, *, echo: bool = False) -> sa.Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"DATABASE_URL {shown_url(url)!r} is not a database URL; use sqlite:///earful.db or "
            "postgresql://user@host:5432/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise StorageError(f"database {backend!r} is not supported; use SQLite or PostgreSQL")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A poll stores hundreds of mentions per transaction, and index entries with random keys (story keys, urls)
    # dirty pages all over the file. A bigger page cache keeps those pages at hand, and checkpointing every
    # 20,000 WAL pages (about 80 MB) rather than 1,000 writes each hot page back once instead of many times:
    # together about a fifth off storing (bench/bench_ingest.py).
    cursor.execute("PRAGMA cache_size=-65536")  # KiB: up to 64 MiB per connection, taken only as needed
    cursor.execute("PRAGMA wal_autocheckpoint=20000")
    # A multi-row INSERT inside a transaction keeps a statement journal (the pages it changed, to undo just that
    # statement). Past 64 KiB SQLite spills it to a temporary file: storing 100,000 mentions made 630,000 write
    # calls to such files, about 1 s of the main process's system time, of which about 0.3 s is saved net (the
    # pages are still copied, in memory). It lives only as long as one statement. Sorts and GROUP BYs that need a
    # temporary b-tree keep it in memory too; Earful's (digest, spike history) group per day and brand, so they are
    # small.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


class DatabaseDown(StorageError):
    """The server is not reachable now but may be soon (refused, timed out, starting up or shutting down)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


# what a server that is down, restarting or not yet up answers; anything else (a wrong database name, a bad
# password, an unknown host) will not get better by waiting
_DOWN_SIGNS = ("connection refused", "timeout expired", "timed out", "the database system is starting up",
               "the database system is shutting down", "the database system is in recovery mode",
               "server closed the connection unexpectedly", "connection reset", "no route to host",
               "temporary failure in name resolution", "network is unreachable", "too many connections")


def is_down_reason(reason: str) -> bool:
    return any(sign in reason.lower() for sign in _DOWN_SIGNS)


def wait_for_database(url: str, *, stop: threading.Event, say: Callable[[str], None], poll: float = 2.0,
                      say_every: float = 60.0, monotonic: Callable[[], float] = time.monotonic) -> bool:
    """Return once the database at `url` answers (True), or when `stop` is set first (False). While it is down,
    `say` is told so at once and then once every `say_every` seconds; a permanent problem raises StorageError."""
    engine = make_engine(url)  # a URL that is not one raises here, at once
    if engine.dialect.name != "postgresql":  # a SQLite file is there or is created; nothing to wait for
        engine.dispose()
        return True
    said_at: float | None = None
    try:
        while not stop.is_set():
            try:
                check_connection(engine)
                return True
            except DatabaseDown as exc:
                if said_at is None or monotonic() - said_at >= say_every:
                    say(f"waiting for the database at {shown_url(url)}: {exc.reason}")
                    said_at = monotonic()
            stop.wait(poll)
        return False
    finally:
        engine.dispose()


def check_connection(engine: sa.Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        lines = [line.strip() for line in str(exc.orig or exc).strip().splitlines() if line.strip()]
        reason = lines[0] if lines else type(exc).__name__
        if engine.dialect.name == "postgresql" and is_down_reason(" ".join(lines)):
            raise DatabaseDown(f"cannot open the database at {engine.url.render_as_string(hide_password=True)}: "
                               f"{reason}", reason) from None
        raise StorageError(f"cannot open the database at {engine.url.render_as_string(hide_password=True)}: {reason}") from None


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration (creates it on a new database)."""
    from alembic import command
    from alembic.config import Config

    check_connection(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Several workers starting together on a new database would each create the tables, and all but one
    # would crash ("table brand already exists", a UniqueViolation on alembic_version): one migrates at a
    # time, and the others then find the schema current.
    with _file_lock(engine, "migrate"), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


@contextmanager
def _file_lock(engine: sa.Engine, purpose: str) -> Iterator[None]:
    """On SQLite, an exclusive lock on a file beside the database (PostgreSQL uses an advisory lock)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: SQLite's own locking is all there is
        yield
        return
    with open(f"{database}.{purpose}-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_database(url: str = DEFAULT_URL) -> sa.Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def serialized_scope(engine: sa.Engine, key: int, purpose: str) -> Iterator[Session]:
    """A unit of work that runs alone among every worker on this database, for work that reads, then writes
    rows others may be writing too (an advisory lock held to the commit on PostgreSQL, a file lock on SQLite)."""
    with _file_lock(engine, purpose), session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        yield session


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
