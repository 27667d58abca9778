"""`earful tune`: per-brand complaint thresholds proposed from people's feedback; prints, changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import ConfigOption, database_or_exit, load_or_exit
from monitors.config import Secrets


@app.command()
def tune(
    config: Optional[Path] = ConfigOption,
    min_samples: int = typer.Option(30, "--min-samples", min=2, help="Verdicts a brand needs before a proposal."),
) -> None:
    """Propose complaint thresholds per brand from 'Not a complaint' dismissals and 'complaint' marks."""
    from monitors.scoring.tune import propose
    from storage.db import session_scope
    from storage.feedback import feedback_samples

    loaded = load_or_exit(config)
    default = loaded.complaints.threshold
    thresholds = {b.name: b.threshold if b.threshold is not None else default for b in loaded.brands}
    engine = database_or_exit(Secrets.from_env())
    with session_scope(engine) as session:
        samples = feedback_samples(session=session)
    by_brand: dict[str, list[tuple[float, bool]]] = {}
    for sample in samples:
        by_brand.setdefault(sample.brand, []).append((sample.score, sample.verdict))
    if not by_brand:
        print("No feedback yet: dismiss cases as 'Not a complaint' or mark mentions with `complaint ID`.")
        return
    print(f"complaints.threshold = {default:.2f}. Proposals only; set brands.threshold yourself to apply one.")
    for brand, rows in sorted(by_brand.items()):
        current = thresholds.get(brand, default)
        proposal = propose(rows, current=current, min_samples=min_samples)
        if proposal is None:
            print(f"{brand}: {len(rows)} verdicts; not enough yet (need {min_samples}, at least 5 of each kind)")
        elif proposal.threshold == current:
            print(f"{brand}: keep {current:.2f} (F1 {proposal.f1:.3f} on {proposal.samples} verdicts)")
        else:
            print(f"{brand}: threshold = {proposal.threshold:.2f} would reach F1 {proposal.f1:.3f} "
                  f"(now {current:.2f}: {proposal.current_f1:.3f}) on {proposal.samples} verdicts, "
                  f"{proposal.complaints} complaints")
