"""The pace of texts to Twilio (TWILIO_MPS), shared by every sender of every server through one
row of the database: the moment the next text may go.

A sender takes its turn with one atomic UPDATE ... RETURNING: the row moves on by one interval
(1 / TWILIO_MPS seconds) from the later of itself and now, and the sender gets the moment it
may send at. Turns are therefore spaced one interval apart whoever takes them (threads,
processes, servers), never bunched: a sender that was idle gets "now", and the ones after it
follow an interval apart. Nothing is stored per process, so a process that crashes takes no
turn with it but the one it held.

Turns are spaced a little wider than 1 / TWILIO_MPS (PACE_MARGIN): a text that leaves a moment
late (a busy machine) must not land in the same second as the ones TWILIO_MPS turns after it.
Times are wall-clock seconds (servers keep their clocks in step, as NTP does).
"""
from __future__ import annotations

from sqlalchemy import bindparam, case, update

from .db import Database
from .tables import send_pace

PACE_ROW = 1
PACE_MARGIN = 0.975  # turns at this share of TWILIO_MPS: a late text never makes a second hold more
_TURN = (update(send_pace).where(send_pace.c.id == PACE_ROW)
         .values(next_at=case((send_pace.c.next_at > bindparam("now"), send_pace.c.next_at),
                              else_=bindparam("now")) + bindparam("interval"))
         .returning(send_pace.c.next_at))


class SendPace:
    def __init__(self, db: Database, per_second: float):
        self.db = db
        self.per_second = per_second  # 0: no limit
        self.interval = 1.0 / (per_second * PACE_MARGIN) if per_second > 0 else 0.0
        self._turn = db.prepare(_TURN)
        self._made = False

    @property
    def limited(self) -> bool:
        return self.interval > 0

    def take_turn(self, now: float) -> float:
        """The moment (seconds since the epoch) this sender may send its next text; at least `now`."""
        if not self.limited:
            return now
        self._ensure_row()
        with self.db.driver_begin(durable=False) as tx:  # a lost turn to a power cut is one text sent later
            row = tx.first(self._turn, {"now": now, "interval": self.interval})
        return row.next_at - self.interval

    def _ensure_row(self) -> None:
        if self._made:
            return
        insert = self.db.upsert_insert(send_pace).values(id=PACE_ROW, next_at=0.0).on_conflict_do_nothing()
        with self.db.begin(durable=False) as conn:
            conn.execute(insert)
        self._made = True
