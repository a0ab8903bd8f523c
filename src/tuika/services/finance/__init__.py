"""Finance: the refunds that need a person, and the ways out of a stuck one."""
