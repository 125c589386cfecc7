from __future__ import annotations

from carboy import Blueprint, g, render_template

bp = Blueprint("blog", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html", user=g.user)
