"""User sessions: who is logged in, who may see a view, and "remember me".

The API is Flask-Login's, so a ported app changes only its imports::

    from carboy.ext.login import (LoginManager, UserMixin, current_user, login_required,
                                  login_user, logout_user, redirect_next)

    login_manager = LoginManager(app)
    login_manager.login_view = "login"

    @login_manager.user_loader
    def load_user(user_id):          # def or async def
        return User.get(user_id)

NOTE: what this module does to keep sessions safe, beyond Flask-Login's defaults:

- **Open redirects.** ``next`` is followed only when :func:`is_safe_url` accepts it: a
  path on this site (``/account?tab=2``), never ``//evil.com``, ``/\\evil.com``,
  ``https:evil.com``, control characters or their percent-encoded forms.
  :func:`redirect_next` does the check, so a login view never redirects unchecked.
- **Session fixation.** :func:`login_user` rotates the session: the CSRF secret and any
  previous login are dropped (all data, when another user was logged in), and a
  server-side session interface with a ``regenerate(session)`` method gets a new id.
  A token or session an attacker obtained before the login is worthless after it.
- **Remember-me.** The cookie is signed, ``HttpOnly`` and ``SameSite=Lax``; it names the
  user and a digest of the user's ``get_remember_token()``, and expires on the server
  after ``duration`` whatever the browser does. :func:`logout_user` calls the user's
  ``revoke_remember_token()``, and a password change should too, so every copy of the
  cookie (a stolen one included) stops working.
- **Session protection.** The session records a hash of the client's address and
  ``User-Agent``. When it changes, ``"basic"`` (the default) marks the login non-fresh
  (so :func:`fresh_login_required` views ask for the password again); ``"strong"`` logs
  the user out and deletes the remember cookie.

Roles and permissions (:mod:`carboy.ext.login.roles`): :func:`roles_required`,
:func:`roles_accepted` and :func:`permission_required` let only some logged-in users
reach a view, a ``MethodView`` method or a whole blueprint.
"""

from .manager import (
    AnonymousUserMixin,
    LoginManager,
    UserMixin,
    confirm_login,
    current_user,
    fresh_login_required,
    is_safe_url,
    login_fresh,
    login_required,
    login_url,
    login_user,
    logout_user,
    new_remember_token,
    redirect_next,
    session_protected,
    user_loaded_from_cookie,
    user_logged_in,
    user_logged_out,
    user_needs_refresh,
    user_unauthorized,
)
from .roles import (
    Requirement,
    permission_required,
    roles_accepted,
    roles_required,
    user_roles,
)

__all__ = [
    "AnonymousUserMixin",
    "LoginManager",
    "Requirement",
    "UserMixin",
    "confirm_login",
    "current_user",
    "fresh_login_required",
    "is_safe_url",
    "login_fresh",
    "login_required",
    "login_url",
    "login_user",
    "logout_user",
    "new_remember_token",
    "permission_required",
    "redirect_next",
    "roles_accepted",
    "roles_required",
    "session_protected",
    "user_loaded_from_cookie",
    "user_logged_in",
    "user_logged_out",
    "user_needs_refresh",
    "user_roles",
    "user_unauthorized",
]
