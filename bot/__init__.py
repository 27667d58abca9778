"""The Slack (or console) side of Earful: listeners, cards, the outbox dispatcher, the CLI and scheduling."""
