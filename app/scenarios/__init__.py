"""Claim scenarios: read an encounter and its claim, work the payer's answer, resubmit, get scored;
and the claim lab, where any claim can be run through a practice payer."""
from flask import Blueprint

bp = Blueprint("scenarios", __name__)

from app.scenarios import routes  # noqa: E402,F401
