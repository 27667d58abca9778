"""`earful tune`: what the team's verdicts taught the detector, and per-brand thresholds proposed from them.

It changes nothing but with `--reset`, which forgets the learned correction (the verdicts stay recorded)."""

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
    reset: bool = typer.Option(False, "--reset", help="Forget what the detector learned from verdicts."),
) -> None:
    """Show what 'Not a complaint' dismissals and 'complaint' marks taught the detector; propose thresholds."""
    from monitors.learning import forget, review
    from monitors.scoring.tune import propose
    from storage.db import session_scope
    from storage.feedback import feedback_samples

    loaded = load_or_exit(config)
    default = loaded.complaints.threshold
    thresholds = {b.name: b.threshold if b.threshold is not None else default for b in loaded.brands}
    engine = database_or_exit(Secrets.from_env())
    if reset:
        with session_scope(engine) as session:
            forgot = forget(session=session)
        print("Forgot what the detector learned from verdicts; new posts are scored by the shipped model. "
              "The verdicts stay recorded." if forgot else "The detector had learned nothing yet; nothing to reset.")
        return
    with session_scope(engine) as session:
        samples = feedback_samples(session=session)
        learned = review(session=session) if samples else None
    by_brand: dict[str, list[tuple[float, bool]]] = {}
    for sample in samples:
        by_brand.setdefault(sample.brand, []).append((sample.score, sample.verdict))
    if not by_brand:
        print("No feedback yet: dismiss cases as 'Not a complaint' or mark mentions with `complaint ID`.")
        return
    if learned is not None:
        print(_learning_report(learned))
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


def _learning_report(learned) -> str:  # noqa: ANN001 - monitors.learning.Agreement, imported lazily
    (p0, r0, f0), (p1, r1, f1) = learned.before, learned.after
    lines = [f"The detector learned from {learned.verdicts} verdicts ({learned.complaints} complaints). On those "
             "verdicts, each judged before it was learned from:",
             f"  shipped model alone:   precision {p0:.2f}  recall {r0:.2f}  F1 {f0:.2f}",
             f"  with what it learned:  precision {p1:.2f}  recall {r1:.2f}  F1 {f1:.2f}"]
    words = sorted(learned.now.words.items(), key=lambda item: -abs(item[1]))[:5]
    if words:
        lines.append("  words it leans on most now: " + ", ".join(
            f"{word} ({'more' if weight > 0 else 'less'} likely a complaint)" for word, weight in words))
    lines.append("  `earful tune --reset` forgets it.")
    return "\n".join(lines)
