"""Review: the supplier asked, screenshots read, the machine's first look, then people's decisions in the console."""
