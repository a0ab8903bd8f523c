"""Claims: their policies, the evidence uploaded for them, filing, and what buyer and merchant do next."""
