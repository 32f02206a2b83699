"""The code book: search and browse ICD-10-CM, HCPCS Level II, CPT numbers, modifiers and POS."""
from flask import Blueprint

bp = Blueprint("codebook", __name__)

from app.codebook import routes  # noqa: E402,F401
