"""Every message Earful writes, as Block Kit and as console text: case cards, spike alert cards, escalation
and reminder messages, and the digest's blocks and sections."""
