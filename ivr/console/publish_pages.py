"""Publishing: a draft's changes from the live version, node by node and language by language; the
changes that conflict with what was published meanwhile, each settled by a person; a note and
the publish. Then the history, each version's changes, and rolling back to any version (its
files published again as a new version: history is never rewritten)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..services import services
from ..storage.flow_versions import DraftClosed, NotFound, StaleDraft
from ..versions import PublishRefused
from ..versions.diff import label
from ..versions.yaml_edit import EditError
from . import changes
from .drafts_pages import draft_or_404, drafts, form_revision, refused
from .roles import require

bp = Blueprint("publishing", __name__)
HISTORY_PAGE = 30


def _field_label(field: tuple) -> str:
    """("options", "key=3", "label", "es") -> "option 3 label (es)"."""
    words = []
    for part in field:
        text = str(part)
        words.append(f"option {text[4:]}" if text.startswith("key=") else text)
    return " ".join(words)


@bp.get("/drafts/<int:draft_id>/publish")
@require("view_flows")
def review(draft_id: int):
    draft = draft_or_404(draft_id)
    live = services().versions.live()
    return render_template("console/review.html", draft=draft, diff=drafts().diff(draft_id), live=live,
                           errors=[p for p in draft.problems if p.severity == "error"],
                           warnings=[p for p in draft.problems if p.severity == "warning"],
                           item_label=label, field_label=_field_label)


@bp.post("/drafts/<int:draft_id>/conflicts/<int:number>")
@require("edit_flows")
def resolve(draft_id: int, number: int):
    take = request.form.get("take", "")
    try:
        drafts().resolve(draft_id, form_revision(), number, take, changes.actor())
    except (StaleDraft, DraftClosed, EditError) as error:
        flash(f"Not saved: {error}")
        return redirect(url_for("publishing.review", draft_id=draft_id), 303)
    changes.record("draft.resolve", f"draft {draft_id}", {"take": take})
    flash("Kept the draft's change." if take == "mine" else "Took the published change.")
    return redirect(url_for("publishing.review", draft_id=draft_id), 303)


@bp.post("/drafts/<int:draft_id>/publish")
@require("publish_flows")
def publish(draft_id: int):
    note = request.form.get("note", "").strip()[:200]
    try:
        published = drafts().publish(draft_id, form_revision(), changes.actor(), note or None)
    except PublishRefused as error:
        flash(f"Not published: {error}")
        return redirect(url_for("publishing.review", draft_id=draft_id), 303)
    except (StaleDraft, DraftClosed) as error:
        return refused(error, draft_id)
    version = published.version
    changes.record("flows.publish", f"version {version.number}", {"draft": draft_id, "note": version.note})
    flash(f"Published as version {version.number}: callers hear it within seconds.")
    return redirect(url_for("publishing.history"), 303)


@bp.get("/history")
@require("view_flows")
def history():
    return render_template("console/history.html", versions=services().versions.history(HISTORY_PAGE),
                           live=services().versions.live())


@bp.get("/versions/<int:number>")
@require("view_flows")
def version(number: int):
    versions = services().versions
    try:
        row, files = versions.version(number), versions.files(number)
        before = versions.files(number - 1) if number > 1 else {}
    except NotFound:
        abort(404)
    return render_template("console/version.html", version=row, diff=versions.diff(before, files),
                           live=versions.live(), item_label=label, field_label=_field_label)


@bp.post("/versions/<int:number>/rollback")
@require("publish_flows")
def rollback(number: int):
    note = request.form.get("note", "").strip()[:200] or f"back to version {number}"
    try:
        published = services().versions.rollback(number, changes.actor(), note)
    except NotFound:
        abort(404)
    except PublishRefused as error:
        flash(f"Not rolled back: {error}")
        return redirect(url_for("publishing.version", number=number), 303)
    if not published.new:
        flash(f"Version {number}'s content is what callers hear already: nothing changed.")
    else:
        changes.record("flows.rollback", f"version {published.version.number}", {"restores": number})
        flash(f"Version {number}'s content is live again, as version {published.version.number}.")
    return redirect(url_for("publishing.history"), 303)
