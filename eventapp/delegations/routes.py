"""A delegation's pages: its focal points' view of their organisation at a meeting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("delegations", __name__)
