"""Refund gateways of the original payment route: Alipay, WeChat Pay, the bank card channel."""
