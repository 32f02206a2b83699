"""The anonymous billing-or-coding role-fit quiz."""
from flask import Blueprint

bp = Blueprint("rolefit", __name__)

from app.rolefit import routes  # noqa: E402,F401
