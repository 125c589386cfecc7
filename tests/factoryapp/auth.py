from __future__ import annotations

from typing import Any

from carboy import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.before_app_request
def load_user() -> None:
    g.user = session.get("user")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        session.clear()
        session["user"] = request.form["username"]
        flash(f"{current_app.config['GREETING']}, {request.form['username']}")
        return redirect(url_for("index"))
    return render_template("auth/login.html")


@bp.get("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("index"))
