"""Upkeep: the work due by the clock rather than by an event."""
