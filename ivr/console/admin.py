"""Admins' pages: the staff accounts (add, change a role, turn off and on, set a new password)
and the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..storage.staff import ROLES, StaffError
from .auth import accounts, client_address
from .login import now
from .passwords import WeakPassword
from .roles import require

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 50


@bp.get("/staff")
@require("manage_staff")
def staff():
    return render_template("console/staff.html", members=accounts().staff.list(), roles=ROLES, errors={},
                           form={})


@bp.post("/staff")
@require("manage_staff")
def add_staff():
    form = {"email": request.form.get("email", "").strip(), "role": request.form.get("role", "")}
    errors = {}
    try:
        member = accounts().add(form["email"], request.form.get("password", ""), form["role"], current_user.email,
                                now(), client_address())
    except WeakPassword as error:
        errors["password"] = str(error)
    except StaffError as error:
        errors["role" if "role" in str(error) else "email"] = str(error)
    else:
        flash(f"Account made for {member.email} ({member.role}).")
        return redirect(url_for("admin.staff"))
    return render_template("console/staff.html", members=accounts().staff.list(), roles=ROLES, errors=errors,
                           form=form), 400


@bp.post("/staff/<int:staff_id>")
@require("manage_staff")
def change_staff(staff_id: int):
    member = accounts().staff.by_id(staff_id)
    if member is None:
        flash("There is no such account.")
        return redirect(url_for("admin.staff"), 303)
    action, who, at, address = request.form.get("action", ""), current_user.email, now(), client_address()
    try:
        if action == "role":
            accounts().set_role(member.email, request.form.get("role", ""), who, at, address)
            flash(f"{member.email} is now {request.form.get('role')}.")
        elif action in ("disable", "enable"):
            if action == "disable" and member.email == current_user.email:
                raise StaffError("you cannot turn off your own account")
            accounts().set_disabled(member.email, action == "disable", who, at, address)
            flash(f"{member.email} is turned {'off' if action == 'disable' else 'on'}.")
        elif action == "password":
            accounts().reset_password(member.email, request.form.get("password", ""), who, at, address)
            flash(f"A new password is set for {member.email}; their sessions have ended.")
        else:
            raise StaffError("unknown change")
    except (StaffError, WeakPassword) as error:
        flash(f"Not changed: {error}.")
    return redirect(url_for("admin.staff"), 303)


@bp.get("/audit")
@require("read_audit")
def audit():
    before = request.args.get("before", type=int)
    entries = accounts().audit.page(AUDIT_PAGE + 1, before)
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    return render_template("console/audit.html", entries=entries,
                           older=entries[-1].id if more and entries else None)
