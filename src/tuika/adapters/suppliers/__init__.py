"""Adapters for the Supplier port: the upstreams that issued card keys and ran top-ups."""
