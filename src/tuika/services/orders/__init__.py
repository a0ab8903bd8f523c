"""Orders: synced in by the host platform, looked up, their card keys and accounts sealed."""
