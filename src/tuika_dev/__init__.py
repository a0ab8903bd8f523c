"""tuika's developer tools, not shipped in the wheel: demo data, sandboxes, benchmark engines.

The sandboxes are local servers that speak each provider's protocol; the benchmark engines start
a stack and measure it. ``tuika demo`` and ``tuika bench`` import this package when they run, so
a dev install (``uv sync``) has them and an installed product says they are missing.
"""
