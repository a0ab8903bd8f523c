"""tuika (退卡): the refund and after-sales engine for 卡盟 platforms."""

__version__ = "0.1.0"
