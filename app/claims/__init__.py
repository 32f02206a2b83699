"""Claim engine (pure): the claim, the payer's rules, the edits, and the remittance they produce."""
from app.claims.engine import adjudicate
from app.claims.model import Claim, Coverage, Patient, Provider, ServiceLine
from app.claims.payer import Member, PairEdit, PayerProfile, load_payer, load_payers, payer_from_dict
from app.claims.remittance import Acknowledgment, Adjustment, LineRemit, Remittance, StatusError
from app.claims.rules import REGISTRY, rules

__all__ = [
    "REGISTRY", "Acknowledgment", "Adjustment", "Claim", "Coverage", "LineRemit", "Member", "PairEdit",
    "Patient", "PayerProfile", "Provider", "Remittance", "ServiceLine", "StatusError", "adjudicate", "load_payer",
    "load_payers", "payer_from_dict", "rules",
]
