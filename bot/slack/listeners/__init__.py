"""Listeners, one module per kind of Slack request; `register_listeners` wires them all onto an app."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, alerts, commands, events, views


def register_listeners(app: App) -> None:
    actions.register(app)
    alerts.register(app)
    commands.register(app)
    views.register(app)
    events.register(app)
