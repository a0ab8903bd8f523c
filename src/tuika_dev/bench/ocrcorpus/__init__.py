"""A labelled corpus of screenshots as buyers really send them, drawn at run time from a seed.

Separate from the review benchmark's screens (``tests/support/screens.py``): payment apps' bill
details, a game's redeem dialog, a desktop client's error window, the shop's order page with its
labels below or after the values, a top-up site's result, a chat's forwarded copy; light and dark,
phone and desktop sizes, three fonts; each screen clean and degraded. Each sample carries the
fields drawn on it, the purchase behind it, and how it was degraded.

>>> samples = list(corpus(per_layout=1, seed=7))  # doctest: +SKIP
>>> samples[0].name, samples[0].truth.order_number  # doctest: +SKIP
('alipay_bill/wqy-microhei/0/clean', 'KM2026111812345678901234')
"""

from tuika_dev.bench.ocrcorpus.corpus import LAYOUTS, Layout, Sample, corpus, layout
from tuika_dev.bench.ocrcorpus.faces import FACES, Face, face
from tuika_dev.bench.ocrcorpus.values import Purchase, Truth

__all__ = ["FACES", "LAYOUTS", "Face", "Layout", "Purchase", "Sample", "Truth", "corpus", "face", "layout"]
