"""What each role may do. Every console route names the permission it needs (`require`), and the
server checks it on every request: hiding a button is never the check."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from .login import login_manager

PERMISSIONS: dict[str, frozenset[str]] = {
    "view_flows": frozenset({"admin", "editor", "viewer"}),  # the line, drafts, history, diffs
    "edit_flows": frozenset({"admin", "editor"}),  # change a draft, try it
    "publish_flows": frozenset({"admin", "editor"}),  # publish, roll back
    "manage_staff": frozenset({"admin"}),  # accounts
    "read_audit": frozenset({"admin"}),
    "run_desk": frozenset({"admin", "desk"}),  # slots, bookings, call-backs, the outbox: change them
    "see_patients": frozenset({"admin", "desk"}),  # full numbers, names, the words of texts
    "view_desk": frozenset({"admin", "desk", "viewer"}),  # the desk's lists, numbers masked for a viewer
    "view_reports": frozenset({"admin", "desk", "viewer"}),  # the figures
}


def can(user, permission: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in PERMISSIONS[permission]


def require(permission: str):
    """A view decorator: signed in (else to the sign-in page), and allowed (else 403)."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.permission = permission  # read by the route-walking tests
        return guarded

    return decorate
