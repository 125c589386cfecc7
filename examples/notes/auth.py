"""Registration, login and logout (carboy.ext.login, carboy.security)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from carboy import Blueprint, current_app, flash, redirect, render_template, url_for
from carboy.ext.login import current_user, login_user, logout_user, redirect_next
from carboy.security import check_password_hash, generate_password_hash

from .forms import LoginForm, RegisterForm
from .models import User, db

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Checked against when the username is unknown, so that a wrong name takes as long as
# a wrong password (the response time does not tell which names exist).
_DUMMY_HASH: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["NOTES_PASSWORD_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("not a password", method)
    return _DUMMY_HASH[method]


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("notes.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        name = form.username.data
        if db.session.scalar(select(User.id).where(User.username == name)) is not None:
            form.username.errors.append("That name is taken.")
        else:
            method = current_app.config["NOTES_PASSWORD_METHOD"]
            user = User(
                username=name,
                password_hash=generate_password_hash(form.password.data, method),
            )
            db.session.add(user)
            db.session.commit()
            login_user(user)
            flash(f"Welcome, {user.username}! Your account is ready.", "success")
            return redirect(url_for("notes.index"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("notes.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(User.username == form.username.data)
        )
        password_hash = user.password_hash if user is not None else _dummy_hash()
        if check_password_hash(password_hash, form.password.data) and user is not None:
            login_user(user, remember=form.remember.data)
            flash(f"Logged in as {user.username}.", "success")
            # Only a path on this site: never an open redirect.
            return redirect_next(url_for("notes.index"))
        flash("Wrong username or password.", "error")
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Any:
    # A POST with the CSRF token (CSRFProtect checks it): a link elsewhere cannot log
    # the user out.
    logout_user()
    flash("Logged out.", "success")
    return redirect(url_for("auth.login"))
