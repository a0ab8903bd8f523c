"""Payouts: opened with the approval, keys voided, paid to the balance or sent to a gateway, confirmed, reconciled."""
