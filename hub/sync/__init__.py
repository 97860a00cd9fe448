"""Store-and-forward sync over MQTT: the outbox upstream, receipts and replays, inbound apply."""
