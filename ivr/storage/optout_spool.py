"""Opt-outs that arrive while the database is down are written to a local file first, and
applied as soon as the database answers again: an opt-out is never lost."""
from __future__ import annotations

import fcntl
import json
import logging
import os
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("ivr.optouts")


class OptOutSpool:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def append(self, phone_hash: str, opted_out: bool, now: datetime) -> None:
        line = json.dumps({"phone_hash": phone_hash, "opted_out": opted_out, "at": now.isoformat()})
        with open(self.path, "a", encoding="utf-8") as spool:
            fcntl.flock(spool, fcntl.LOCK_EX)
            spool.write(line + "\n")
            spool.flush()
            os.fsync(spool.fileno())
        log.warning("database unavailable: opt-out change kept in the local spool")

    def pending(self) -> bool:
        """Anything waiting? (Asked on every text: one stat call.)"""
        try:
            return os.stat(self.path).st_size > 0
        except FileNotFoundError:
            return False

    def replay(self, write) -> int:
        """Apply what waits with write(hash, opted_out, at), in order, then empty the file;
        on a database error keep it all for the next time."""
        if not self.pending():
            return 0
        with open(self.path, "r+", encoding="utf-8") as spool:
            fcntl.flock(spool, fcntl.LOCK_EX)
            entries = [json.loads(line) for line in spool if line.strip()]
            try:
                for entry in entries:
                    write(entry["phone_hash"], entry["opted_out"], datetime.fromisoformat(entry["at"]))
            except SQLAlchemyError:
                return 0
            spool.seek(0)
            spool.truncate()
        log.info("applied %d spooled opt-out changes", len(entries))
        return len(entries)
