"""`earful doctor`'s checks: the tokens work, the app has its scopes, the bot is in every configured channel.

Each check says what it found and, when something is wrong, what to do about it. The judging is pure (plain
values in, findings out); `run_checks` gathers the values from Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.deliver import NETWORK_ERRORS, make_client
from bot.slack.directory import GROUP_ID
from monitors.config import Config, Secrets

# scope -> why Earful needs it
REQUIRED_SCOPES = {
    "chat:write": "post and update cards",
    "commands": "the /earful command",
    "channels:read": "find the configured channels by name",
    "channels:history": "check whether a retried card was already posted",
}
OPTIONAL_SCOPES = {
    "groups:read": "use private channels",
    "groups:history": "use private channels",
    "usergroups:read": "read slack.manager_group",
    "files:write": "attach the chart to the daily digest",
    "users:read": "show people's names in the digest",
}
MANIFEST = "bot/manifest.yml"


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    fix: str | None = None
    warning: bool = False  # worth knowing, not a failure


def scope_findings(granted: set[str], config: Config) -> list[Finding]:
    missing = [s for s in REQUIRED_SCOPES if s not in granted]
    out = []
    if missing:
        reasons = "; ".join(f"{s} ({REQUIRED_SCOPES[s]})" for s in missing)
        out.append(Finding(False, f"the bot token lacks scopes: {reasons}",
                           f"add them under OAuth & Permissions → Bot Token Scopes (or recreate the app from "
                           f"{MANIFEST}), then reinstall the app and copy the new token"))
    else:
        out.append(Finding(True, "the bot token has every scope Earful needs"))
    wanted_optional = [s for s in OPTIONAL_SCOPES if s not in granted]
    if config.slack.manager_group and "usergroups:read" in wanted_optional:
        out.append(Finding(False, "slack.manager_group is set but the token lacks usergroups:read",
                           "add the usergroups:read scope and reinstall, or list managers in slack.managers"))
        wanted_optional.remove("usergroups:read")
    if wanted_optional:
        out.append(Finding(True, "optional scopes missing: " + "; ".join(
            f"{s} ({OPTIONAL_SCOPES[s]})" for s in wanted_optional), warning=True))
    return out


def configured_channels(config: Config) -> dict[str, str]:
    """Channel reference -> the settings that name it."""
    out: dict[str, str] = {}
    for setting in ("support_channel", "escalation_channel", "digest_channel"):
        ref = getattr(config.slack, setting)
        if ref:
            out[ref] = f"{out[ref]}, slack.{setting}" if ref in out else f"slack.{setting}"
    return out


def channel_findings(config: Config, channels: list[dict[str, Any]]) -> list[Finding]:
    """`channels`: what conversations.list showed the bot (id, name, is_member, is_private)."""
    by_ref = {c["id"]: c for c in channels} | {c["name"]: c for c in channels}
    out = []
    for ref, settings in configured_channels(config).items():
        channel = by_ref.get(ref.lstrip("#"))
        if channel is None:
            out.append(Finding(False, f"{ref} ({settings}) does not exist or is private without the bot",
                               f"create {ref}, or change {settings} to an existing channel; for a private "
                               "channel, invite the bot first"))
        elif not channel.get("is_member"):
            out.append(Finding(False, f"the bot is not in #{channel['name']} ({settings})",
                               f"in Slack, open #{channel['name']} and type: /invite @Earful"))
        else:
            out.append(Finding(True, f"the bot is in #{channel['name']} ({settings})"))
    return out


def manager_findings(config: Config, group_members: list[str] | None, group_error: str | None) -> list[Finding]:
    slack = config.slack
    if not slack.managers and not slack.manager_group:
        return [Finding(True, "no managers are configured: nobody can dismiss cases or resolve others' cases",
                        "list Slack user ids in slack.managers, or a user group in slack.manager_group",
                        warning=True)]
    if slack.manager_group and group_error:
        return [Finding(False, f"cannot read the user group {slack.manager_group}: {group_error}",
                        "use the group's id (S…) or handle, and grant usergroups:read")]
    count = len(set(slack.managers) | set(group_members or []))
    return [Finding(True, f"{count} manager(s) configured")]


def mode_findings(secrets: Secrets, app_token_error: str | None) -> list[Finding]:
    if secrets.slack_app_token:
        if app_token_error:
            return [Finding(False, f"SLACK_APP_TOKEN was refused ({app_token_error})",
                            "under Basic Information → App-Level Tokens, create a token with connections:write "
                            "and enable Socket Mode")]
        return [Finding(True, "Socket Mode: SLACK_APP_TOKEN works")]
    if secrets.slack_signing_secret:
        return [Finding(True, "HTTP mode: Slack must reach https://YOUR-HOST/slack/events (set it as the Request "
                              "URL for the slash command, interactivity and events)", warning=True)]
    return [Finding(False, "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set",
                    "for Socket Mode, create an app-level token with connections:write and set SLACK_APP_TOKEN")]


def run_checks(config: Config, secrets: Secrets, *, client: WebClient | None = None) -> list[Finding]:
    findings = [Finding(False, problem, "fix the environment variable") for problem in secrets.problems()]
    if not secrets.slack_bot_token:
        return findings + [Finding(False, "SLACK_BOT_TOKEN is not set (Earful runs in console mode without it)",
                                   f"create the Slack app from {MANIFEST}, install it, and set SLACK_BOT_TOKEN to "
                                   "its Bot User OAuth Token (xoxb-…)")]
    client = client or make_client(secrets.slack_bot_token, base_url=secrets.slack_api_url)
    where = secrets.slack_api_url or "https://slack.com/api/"
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        return findings + [Finding(False, f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})",
                                   "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions; reinstall "
                                   "the app if it was revoked")]
    except NETWORK_ERRORS as exc:
        return findings + [Finding(False, f"cannot reach Slack at {where}: {exc}",
                                   "check the network, a proxy, or SLACK_API_URL")]
    findings.append(Finding(True, f"SLACK_BOT_TOKEN works: bot <@{auth.get('user_id')}> in {auth.get('team')}"))
    granted = {s.strip() for s in (auth.headers.get("x-oauth-scopes") or "").split(",") if s.strip()}
    findings += scope_findings(granted, config)
    findings += mode_findings(secrets, _app_token_error(client, secrets))
    findings += channel_findings(config, _visible_channels(client))
    members, error = _group(client, config)
    findings += manager_findings(config, members, error)
    return findings


def _app_token_error(client: WebClient, secrets: Secrets) -> str | None:
    if not secrets.slack_app_token:
        return None
    try:
        client.apps_connections_open(app_token=secrets.slack_app_token)
    except SlackApiError as exc:
        return str(exc.response.get("error"))
    except NETWORK_ERRORS as exc:
        return f"cannot reach Slack: {exc}"
    return None


def _visible_channels(client: WebClient) -> list[dict[str, Any]]:
    channels: list[dict[str, Any]] = []
    cursor = None
    try:
        while True:
            page = client.conversations_list(types="public_channel,private_channel", exclude_archived=True,
                                             limit=1000, cursor=cursor)
            channels += page.get("channels", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return channels
    except SlackApiError:
        return channels  # a missing channels:read is reported by the scope check


def _group(client: WebClient, config: Config) -> tuple[list[str] | None, str | None]:
    group = config.slack.manager_group.strip()
    if not group:
        return None, None
    try:
        group_id = group
        if not GROUP_ID.match(group):
            handles = {g.get("handle"): g.get("id") for g in client.usergroups_list().get("usergroups", [])}
            group_id = handles.get(group.lstrip("@"))
            if group_id is None:
                return None, "no such user group"
        return list(client.usergroups_users_list(usergroup=group_id).get("users", [])), None
    except SlackApiError as exc:
        return None, str(exc.response.get("error"))
