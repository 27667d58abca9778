"""`GET /healthz`: 200 with a small JSON body when the database answers and the scheduler runs; 503 otherwise,
naming what is wrong, for a load balancer, a container's health check or a person with curl."""

from __future__ import annotations

from typing import Callable, Iterable

import sqlalchemy as sa
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from bot.http.app import answer, json_line

HEALTH_PATH = "/healthz"


def database_problem(engine: sa.Engine) -> str | None:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1")).scalar_one()
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the answer is "unreachable"
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"does not answer ({type(exc).__name__}: {detail[0] if detail else 'no detail'})"
    return None


def scheduler_problem(scheduler) -> str | None:
    if scheduler is None:
        return "not started yet"
    if scheduler.state == STATE_PAUSED:
        return "paused"
    if scheduler.state != STATE_RUNNING:
        return "stopped"
    thread = getattr(scheduler, "_thread", None)  # BackgroundScheduler's loop; it can die while state says running
    if thread is not None and not thread.is_alive():
        return "its thread has died"
    return None


def health(engine: sa.Engine, scheduler) -> tuple[int, dict]:
    found = {"database": database_problem(engine), "scheduler": scheduler_problem(scheduler)}
    problems = [f"{part}: {problem}" for part, problem in found.items() if problem]
    body = {"status": "unhealthy" if problems else "ok",
            **{part: problem or "ok" for part, problem in found.items()}}
    if problems:
        body["problems"] = problems
    return (503 if problems else 200), body


class HealthApp:
    """The route. `scheduler()` is asked at each request: the scheduler starts after the listener does."""

    def __init__(self, engine: sa.Engine, scheduler: Callable[[], object]):
        self.engine = engine
        self.scheduler = scheduler

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        status, body = health(self.engine, self.scheduler())
        return answer(start_response, status, json_line(body), {"Cache-Control": "no-store"})
