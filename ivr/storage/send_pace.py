"""The pace of texts to Twilio (TWILIO_MPS), shared by every sender of every server through one
row of the database: the moment the next text may go.

A sender takes its turn with one atomic UPDATE ... RETURNING: the row moves on by one interval
(1 / TWILIO_MPS seconds) from the later of itself and now, and the sender gets the moment it
may send at. Turns are therefore spaced one interval apart whoever takes them (threads,
processes, servers), never bunched: a sender that was idle gets "now", and the ones after it
follow an interval apart. Nothing is stored per process, so a process that crashes takes no
turn with it but the one it held.

Turns are spaced a little wider than 1 / TWILIO_MPS (PACE_MARGIN): TWILIO_MPS turns then span
about 25 ms more than a second, so a text that leaves up to LATE_LIMIT after its turn (a busy
machine, a turn handed out while waiting for the row's lock) still cannot make any one second
hold more than TWILIO_MPS. A sender that finds itself later than that gives its turn up and takes
another (messaging/sender.py) rather than send in a burst with the ones after it.
Times are wall-clock seconds (servers keep their clocks in step, as NTP does).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, bindparam, case, update

from .db import Database
from .tables import send_pace

PACE_ROW = 1
PACE_MARGIN = 0.975  # turns at this share of TWILIO_MPS: a late text never makes a second hold more
LATE_LIMIT = 0.010  # seconds: a sender later than this for its turn takes another (of the ~25 ms margin)
MICROSECONDS = 1_000_000
_NOW = bindparam("now", type_=BigInteger)
_TURN = (update(send_pace).where(send_pace.c.id == PACE_ROW)
         .values(next_us=case((send_pace.c.next_us > _NOW, send_pace.c.next_us), else_=_NOW)
                 + bindparam("interval", type_=BigInteger))
         .returning(send_pace.c.next_us))


class SendPace:
    def __init__(self, db: Database, per_second: float):
        self.db = db
        self.per_second = per_second  # 0: no limit
        self.interval = round(MICROSECONDS / (per_second * PACE_MARGIN)) if per_second > 0 else 0  # µs
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
            row = tx.first(self._turn, {"now": round(now * MICROSECONDS), "interval": self.interval})
        return (row.next_us - self.interval) / MICROSECONDS

    def _ensure_row(self) -> None:
        if self._made:
            return
        insert = self.db.upsert_insert(send_pace).values(id=PACE_ROW, next_us=0).on_conflict_do_nothing()
        with self.db.begin(durable=False) as conn:
            conn.execute(insert)
        self._made = True
