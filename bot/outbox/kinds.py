"""Which handler sends which kind of outbox row: the one list to extend when Earful learns a new message."""

from __future__ import annotations

from bot.outbox import cards, clock, digest, spikes
from bot.outbox.delivery import Handler

HANDLERS: dict[str, Handler] = {
    "post_card": cards.send_post_card,
    "update_card": cards.send_update_card,
    "thread_note": cards.send_thread_note,
    "remind": clock.send_remind,
    "escalate": clock.send_escalate,
    "escalate_many": clock.send_escalate_many,
    "backlog": clock.send_backlog,
    "spike_alert": spikes.send_spike_alert,
    "spike_update": spikes.send_spike_update,
    "spike_chart": spikes.send_spike_chart,
    "spike_pointer": spikes.send_spike_pointer,
    "digest": digest.send_digest,
    "digest_chart": digest.send_digest_chart,
}
