"""The advanced view: a draft's flow files as YAML, edited whole, with each problem shown at its
line. A file with errors is saved all the same (nothing typed is lost); only publishing waits."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..storage.flow_versions import DraftClosed, StaleDraft
from ..versions.publishing import PublishRefused
from . import changes
from .drafts_pages import draft_or_404, drafts, form_revision, refused
from .roles import require

bp = Blueprint("files", __name__, url_prefix="/drafts/<int:draft_id>/files")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.ya?ml$")
MAX_FILE = 1024 * 1024


def _problems_by_line(draft, name: str) -> dict[int, list]:
    found: dict[int, list] = {}
    for problem in draft.problems:
        if problem.file == name or problem.file.endswith("/" + name):
            found.setdefault(problem.line, []).append(problem)
    return found


@bp.get("")
@require("view_flows")
def index(draft_id: int):
    draft = draft_or_404(draft_id)
    return render_template("console/files.html", draft=draft, names=sorted(draft.files))


@bp.get("/<name>")
@require("view_flows")
def file(draft_id: int, name: str):
    draft = draft_or_404(draft_id)
    if name not in draft.files:
        abort(404)
    text = draft.files[name].decode("utf-8", errors="replace")
    return render_template("console/file.html", draft=draft, name=name, text=text, lines=text.split("\n"),
                           problems=_problems_by_line(draft, name))


@bp.post("/<name>")
@require("edit_flows")
def save(draft_id: int, name: str):
    if not FILE_NAME.match(name):
        abort(404)
    content = request.form.get("content", "").replace("\r\n", "\n")
    if len(content.encode("utf-8")) > MAX_FILE:
        flash("Not saved: a flow file has at most 1 MB.")
        return redirect(url_for("files.file", draft_id=draft_id, name=name), 303)
    try:
        draft = drafts().save_file(draft_id, form_revision(), name, content, changes.actor())
    except (StaleDraft, DraftClosed, PublishRefused) as error:
        return refused(error, draft_id)
    changes.record("draft.save_file", f"draft {draft_id} file {name}")
    errors = [p for p in draft.problems if p.severity == "error" and p.file.endswith(name)]
    flash(f"{name} saved to the draft" + (f", with {len(errors)} error(s) shown at their lines: fix them "
                                          "before publishing." if errors else "."))
    return redirect(url_for("files.file", draft_id=draft_id, name=name), 303)
