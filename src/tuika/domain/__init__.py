"""Pure domain of tuika: standard library only, no I/O."""
