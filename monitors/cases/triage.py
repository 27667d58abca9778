"""Who may do what to a case (pure). Slack listeners and the console both ask here before changing a case."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: str
    is_manager: bool
    managers_configured: bool = True  # False: nobody is a manager, so the refusal says how to name some


def refusal(verb: str, *, actor: Actor, claimed_by: str | None) -> str | None:
    """None when `actor` may `verb` the case, else the sentence to show them."""
    if verb == "dismiss" and not actor.is_manager:
        if not actor.managers_configured:
            return ("only a manager can mark a case as not a complaint, and none is configured: put their user "
                    "ids in `slack.managers` or a user group in `slack.manager_group`")
        return "only a manager can mark a case as not a complaint"
    if verb in ("resolve", "unclaim") and claimed_by and claimed_by != actor.user and not actor.is_manager:
        return f"only <@{claimed_by}> (who has it) or a manager can {verb} this case"
    return None
