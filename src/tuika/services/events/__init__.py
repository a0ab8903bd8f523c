"""The outbox's other half: the handler table, the relay that runs it, and what ops do with it."""
