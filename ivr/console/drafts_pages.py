"""Changing what the line says: drafts, each node's texts and options, pages added and removed.

Every edit goes into a draft (callers hear nothing of it until it is published) through the
versions API (services().flow_drafts), which checks the files at every save, keeps the draft
whatever the checks find, and refuses a save made from an older revision: two people editing
the same draft never silently overwrite each other.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for

from ..flow import FlowError, graph, load_flow
from ..lint.field_checks import check_field
from ..services import services
from ..storage.flow_versions import DraftClosed, NotFound, StaleDraft
from ..versions import PublishRefused
from ..versions.yaml_edit import EditError
from . import changes
from .draft_view import FIELD_NAMES, TEXT_FIELDS, draft_view
from .roles import require

bp = Blueprint("drafts", __name__, url_prefix="/drafts")
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
OPTION_KEYS = "1234567"
MAX_TEXT = 2000  # characters in one field: far more than a prompt or a text should be
KINDS = ("say", "sms", "title", "label")


def drafts():
    return services().flow_drafts


def draft_or_404(draft_id: int):
    try:
        return drafts().get(draft_id)
    except NotFound:
        abort(404)


def form_revision() -> int:
    value = request.form.get("revision", "")
    if not value.isdigit():
        abort(400)
    return int(value)


def refused(error: Exception, draft_id: int, node_id: str | None = None):
    """A save that could not be made: say why, and show the draft as it is now."""
    flash(f"Not saved: {error}")
    target = url_for("drafts.node", draft_id=draft_id, node_id=node_id) if node_id else url_for(
        "drafts.edit", draft_id=draft_id)
    return redirect(target, 303)


# ---- the drafts ----------------------------------------------------------------------------------

@bp.get("")
@require("view_flows")
def index():
    live = services().versions.live()
    return render_template("console/drafts.html", drafts=drafts().open(), live=live)


@bp.post("")
@require("edit_flows")
def start():
    note = request.form.get("note", "").strip()[:200]
    try:
        draft = drafts().start(changes.actor(), note)
    except PublishRefused as error:
        flash(str(error))
        return redirect(url_for("drafts.index"), 303)
    changes.record("draft.start", f"draft {draft.id}", {"based_on": draft.based_on})
    flash(f"Draft {draft.id} started from version {draft.based_on}. Callers hear nothing of it until it "
          "is published.")
    return redirect(url_for("drafts.edit", draft_id=draft.id), 303)


@bp.get("/<int:draft_id>")
@require("view_flows")
def edit(draft_id: int):
    draft = draft_or_404(draft_id)
    view = draft_view(draft.files, draft.problems)
    live = services().versions.live()
    return render_template("console/draft.html", draft=draft, view=view, live=live, changed=changed_nodes(draft_id),
                           completeness=drafts().completeness(draft_id), field_names=FIELD_NAMES)


@bp.get("/<int:draft_id>/diagram.svg")
@require("view_flows")
def diagram(draft_id: int):
    """The draft's line as `ivr graph` draws it, the nodes it changes marked."""
    draft = draft_or_404(draft_id)
    try:
        flow = load_flow(draft.files)
        svg = graph.draw(flow, flow.default_language, "svg", changed_nodes(draft_id))
    except FlowError:
        return Response("The draft has errors: fix them to see its diagram.", 409, mimetype="text/plain")
    except graph.GraphvizMissing:
        return Response("Graphviz is not installed on this server (apt-get install graphviz).", 501,
                        mimetype="text/plain")
    return Response(svg, mimetype="image/svg+xml")


def changed_nodes(draft_id: int) -> frozenset[str]:
    return frozenset(c.item[1] for c in drafts().diff(draft_id).items if c.item[0] == "nodes")


@bp.post("/<int:draft_id>/up-to-date")
@require("edit_flows")
def bring_up_to_date(draft_id: int):
    try:
        draft = drafts().bring_up_to_date(draft_id, form_revision(), changes.actor())
    except (StaleDraft, DraftClosed) as error:
        return refused(error, draft_id)
    changes.record("draft.update", f"draft {draft_id}", {"based_on": draft.based_on})
    flash(f"Brought up to date with version {draft.based_on}"
          + (f"; {len(draft.conflicts)} change(s) to choose between on the publish page." if draft.conflicts else "."))
    return redirect(url_for("drafts.edit", draft_id=draft_id), 303)


@bp.post("/<int:draft_id>/discard")
@require("edit_flows")
def discard(draft_id: int):
    try:
        drafts().discard(draft_id, form_revision(), changes.actor())
    except (StaleDraft, DraftClosed) as error:
        return refused(error, draft_id)
    changes.record("draft.discard", f"draft {draft_id}")
    flash(f"Draft {draft_id} discarded.")
    return redirect(url_for("drafts.index"), 303)


# ---- one node --------------------------------------------------------------------------------------

def _node_or_404(draft, node_id: str):
    view = draft_view(draft.files, draft.problems)
    node = view.node(node_id)
    if node is None:
        abort(404)
    return view, node


@bp.get("/<int:draft_id>/nodes/<node_id>")
@require("view_flows")
def node(draft_id: int, node_id: str):
    draft = draft_or_404(draft_id)
    view, found = _node_or_404(draft, node_id)
    return render_template("console/node.html", draft=draft, view=view, node=found, field_names=FIELD_NAMES,
                           free_keys=[k for k in OPTION_KEYS if k not in {o.key for o in found.options}])


def _text(name: str) -> str | None:
    """A text field from the form: None when left empty (the translation is then missing)."""
    value = request.form.get(name, "").replace("\r\n", "\n").strip()
    if len(value) > MAX_TEXT:
        raise EditError(f"a text has at most {MAX_TEXT} characters")
    return value or None


def _word_list(name: str) -> list[str] | None:
    words = [w.strip() for w in request.form.get(name, "").split(",") if w.strip()]
    return words or None


@bp.post("/<int:draft_id>/nodes/<node_id>")
@require("edit_flows")
def save_node(draft_id: int, node_id: str):
    """The node's texts and its options' labels, destinations, words and keywords."""
    draft = draft_or_404(draft_id)
    view, found = _node_or_404(draft, node_id)
    edits: dict[tuple, object] = {}
    try:
        for field_name in found.texts:
            for lang in view.languages:
                edits[("nodes", node_id, field_name, lang)] = _text(f"{field_name}.{lang}")
        for option in found.options:
            at = ("nodes", node_id, "options", f"key={option.key}")
            goto = request.form.get(f"option.{option.key}.goto", option.goto)
            if goto not in view.node_ids:
                raise EditError(f"option {option.key} must go to a node of the line")
            edits[at + ("goto",)] = goto
            for lang in view.languages:
                edits[at + ("label", lang)] = _text(f"option.{option.key}.label.{lang}")
                edits[at + ("words", lang)] = _word_list(f"option.{option.key}.words.{lang}")
                edits[at + ("keywords", lang)] = _word_list(f"option.{option.key}.keywords.{lang}")
        edits = {path: value for path, value in edits.items() if value != _current(found, path)}
        if edits:
            draft = drafts().save_fields(draft_id, form_revision(), edits, changes.actor())
    except StaleDraft as error:
        # Someone saved since this page was opened: show their draft, and what was typed here
        # beside it, so nothing is lost and nothing is overwritten without a person choosing.
        unsaved = [("/".join(map(str, path[2:])).replace("key=", "option "), value) for path, value in edits.items()]
        return render_template("console/node.html", draft=draft, view=view, node=found, field_names=FIELD_NAMES,
                               free_keys=[k for k in OPTION_KEYS if k not in {o.key for o in found.options}],
                               stale=str(error), unsaved=unsaved), 409
    except (DraftClosed, EditError) as error:
        return refused(error, draft_id, node_id)
    if edits:
        changes.record("draft.edit", f"draft {draft_id} node {node_id}",
                       {"fields": sorted({"/".join(map(str, p[2:])) for p in edits})[:40]})
    errors = [p for p in draft_view(draft.files, draft.problems).node(node_id).errors] if edits else []
    flash("Saved to the draft." if edits else "Nothing changed.")
    if errors:
        flash(f"The draft has {len(errors)} error(s) in this node: it is saved, but cannot be published until "
              "they are fixed.")
    return redirect(url_for("drafts.node", draft_id=draft_id, node_id=node_id), 303)


def _current(found, path: tuple):
    """The value the draft has at `path` now (None when there is none), to save only changes."""
    rest = path[2:]
    if rest[0] in TEXT_FIELDS:
        return found.texts.get(rest[0], {}).get(rest[1]) or None
    option = next(o for o in found.options if f"key={o.key}" == rest[1])
    if rest[2] == "goto":
        return option.goto
    value = {"label": option.label, "words": option.words, "keywords": option.keywords}[rest[2]].get(rest[3])
    return value or None


@bp.post("/<int:draft_id>/nodes/<node_id>/options")
@require("edit_flows")
def change_options(draft_id: int, node_id: str):
    """Add an option, remove one, or move one up or down."""
    draft = draft_or_404(draft_id)
    view, found = _node_or_404(draft, node_id)
    action, key = request.form.get("action", ""), request.form.get("key", "")
    keys = [o.key for o in found.options]
    options = ("nodes", node_id, "options")
    try:
        if action == "add":
            goto = request.form.get("goto", "")
            if key not in OPTION_KEYS or key in keys:
                raise EditError(f"choose a key from 1 to 7 that this menu does not use yet (in use: {', '.join(keys)})")
            if goto not in view.node_ids:
                raise EditError("choose the node the option goes to")
            label = {lang: _text(f"label.{lang}") for lang in view.languages}
            words = {lang: _word_list(f"words.{lang}") for lang in view.languages}
            new = {"key": int(key), "goto": goto, "label": {k: v for k, v in label.items() if v},
                   "words": {k: v for k, v in words.items() if v}}
            drafts().save_fields(draft_id, form_revision(), {options + (f"key={key}",): new}, changes.actor())
        elif action == "remove" and key in keys:
            drafts().save_fields(draft_id, form_revision(), {options + (f"key={key}",): None}, changes.actor())
        elif action in ("up", "down") and key in keys:
            at = keys.index(key)
            to = at - 1 if action == "up" else at + 1
            if not 0 <= to < len(keys):
                raise EditError("that option is already at the end")
            keys[at], keys[to] = keys[to], keys[at]
            drafts().save_fields(draft_id, form_revision(), {options + ("#order",): keys}, changes.actor())
        else:
            raise EditError("unknown change")
    except (StaleDraft, DraftClosed, EditError) as error:
        return refused(error, draft_id, node_id)
    changes.record(f"draft.option_{action}", f"draft {draft_id} node {node_id}", {"key": key})
    flash({"add": f"Option {key} added.", "remove": f"Option {key} removed.",
           "up": f"Option {key} moved up.", "down": f"Option {key} moved down."}[action])
    return redirect(url_for("drafts.node", draft_id=draft_id, node_id=node_id), 303)


@bp.post("/<int:draft_id>/nodes")
@require("edit_flows")
def add_page(draft_id: int):
    """A new page (or menu), and the option that leads to it from a menu."""
    draft = draft_or_404(draft_id)
    view = draft_view(draft.files, draft.problems)
    parent_id, new_id = request.form.get("parent", ""), request.form.get("id", "").strip().lower()
    kind, key = request.form.get("type", "page"), request.form.get("key", "")
    parent = view.node(parent_id)
    try:
        if parent is None or parent.type != "menu":
            raise EditError("choose the menu the new page is reached from")
        if not NODE_ID.match(new_id) or new_id in view.node_ids:
            raise EditError("a new page needs a name of its own: lower-case letters, digits and hyphens")
        if kind not in ("page", "menu"):
            raise EditError("a new node is a page or a menu")
        if key not in OPTION_KEYS or key in {o.key for o in parent.options}:
            raise EditError("choose a key from 1 to 7 that the menu does not use yet")
        title = {lang: _text(f"title.{lang}") for lang in view.languages}
        say = {lang: _text(f"say.{lang}") for lang in view.languages}
        node = {"type": kind, "title": {k: v for k, v in title.items() if v},
                "say": {k: v for k, v in say.items() if v}}
        if kind == "menu":
            node["options"] = []
        option = {"key": int(key), "goto": new_id, "label": {k: v for k, v in title.items() if v},
                  "words": {k: [v.lower()] for k, v in title.items() if v}}
        revision = form_revision()
        saved = drafts().set_node(draft_id, revision, new_id, node, changes.actor(), file=parent.file)
        drafts().save_fields(draft_id, saved.revision, {("nodes", parent_id, "options", f"key={key}"): option},
                             changes.actor())
    except (StaleDraft, DraftClosed, EditError) as error:
        return refused(error, draft_id)
    changes.record("draft.add_node", f"draft {draft_id} node {new_id}", {"from": parent_id, "key": key})
    flash(f"Page '{new_id}' added, reached from '{parent_id}' by key {key}.")
    return redirect(url_for("drafts.node", draft_id=draft_id, node_id=new_id), 303)


@bp.post("/<int:draft_id>/nodes/<node_id>/remove")
@require("edit_flows")
def remove_node(draft_id: int, node_id: str):
    draft = draft_or_404(draft_id)
    view, found = _node_or_404(draft, node_id)
    leading = [f"'{n.id}' option {o.key}" for n in view.nodes for o in n.options if o.goto == node_id]
    try:
        if found.depth == 0:
            raise EditError("the main menu cannot be removed")
        if leading:
            raise EditError(f"remove the options that lead here first: {', '.join(leading)}")
        drafts().set_node(draft_id, form_revision(), node_id, None, changes.actor())
    except (StaleDraft, DraftClosed, EditError) as error:
        return refused(error, draft_id, node_id)
    changes.record("draft.remove_node", f"draft {draft_id} node {node_id}")
    flash(f"'{node_id}' removed from the draft.")
    return redirect(url_for("drafts.edit", draft_id=draft_id), 303)


# ---- the checks while typing --------------------------------------------------------------------------

@bp.post("/check")
@require("view_flows")
def check():
    """The notes beside a field, as its text is typed (JSON: characters, parts, seconds, notes)."""
    data = request.get_json(silent=True) or {}
    text, lang, kind = str(data.get("text", ""))[:MAX_TEXT], str(data.get("lang", "en")), str(data.get("kind", ""))
    if kind not in KINDS:
        abort(400)
    return jsonify(check_field(text, lang, kind).as_json())
