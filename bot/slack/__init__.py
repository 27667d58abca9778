"""The Slack side: the Bolt app and its listeners, the Web API deliverer for the outbox, `earful doctor` checks."""
