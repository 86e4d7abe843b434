"""The sending benchmark's harness works (bench/reminders_bench.py): reminders queued by the
line's own round, two worker processes sending them through the fake Twilio on 127.0.0.1, every
text received once, and its section of bench/README.md composed. No timings are asserted: the
rate is measured by `make bench-reminders` (bench/README.md), not by the tests."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.reminders_bench import END, START, measure, section  # noqa: E402

pytestmark = pytest.mark.skipif(os.environ.get("IVR_TEST_DATABASE") == "postgresql",
                                reason="the benchmark brings its own SQLite file")


def test_the_sending_benchmark_sends_each_reminder_once_through_the_fake_twilio(tmp_path):
    result = measure(f"sqlite:///{tmp_path / 'bench.sqlite3'}", reminders=40)
    assert (result["queued"], result["received"], result["twice"]) == (40, 40, 0)
    assert result["statuses"] == {"sent": 40} and result["codes"] == [0, 0]
    text = section(result, "SQLite")
    assert text.startswith(START) and text.endswith(END) and "| sent twice | 0 | none |" in text
