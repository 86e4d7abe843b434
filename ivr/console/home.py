"""The overview: the line as callers meet it, menu by menu and page by page, each text in English
and Spanish side by side, with how complete each language is."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..services import current_flow
from .line_view import line_outline
from .roles import require

bp = Blueprint("home", __name__)


@bp.get("/")
@require("view_flows")
def overview():
    flow = current_flow()
    return render_template("console/overview.html", outline=line_outline(flow), flow=flow)
