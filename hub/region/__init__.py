"""The regional service: what a safety region runs beside its brokers (PostgreSQL store)."""
