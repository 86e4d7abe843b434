"""Flow versions: the line's flow lives in the database, every version kept.

- publishing.py: FlowVersions — publish a set of files (a folder, a draft, an old version:
  rollback) as the new live version, after the same checks as `ivr validate`; read versions and
  their files; history.
- drafts.py: Drafts — start, save file by file or field by field (checked at every save, saved
  with errors and all), the stale-save check, bring up to date with what was published meanwhile
  (merge.py), resolve conflicts, publish, discard.
- diff.py: what changed, node by node and language by language; fields.py: the items and fields
  compared; completeness.py: how complete each language is; validation.py: the checks.
- origin.py: the database as the flow source's origin (flow/source.py), with the first start's
  version 1 and the development convenience of publishing edits of the files.

Storage is storage/flow_versions.py. The console and `ivr flows` reach these through
services().versions and services().drafts.
"""
from .drafts import Draft, Drafts
from .publishing import FlowVersions, OlderContent, Published, PublishRefused

__all__ = ["Draft", "Drafts", "FlowVersions", "OlderContent", "PublishRefused", "Published"]
