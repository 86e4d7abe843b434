"""py-spy on the running server: where the workers spend their time in one scenario.

`python -m bench.run --profile DIR` runs each scenario once more after the timed rounds with
py-spy attached to the gunicorn master and its workers (`--subprocesses`, `--nonblocking`: the
workers are sampled, never paused). It writes DIR/<scenario>.txt, collapsed stacks that
speedscope (https://www.speedscope.app) or flamegraph.pl draw, and a summary: the functions
with the most samples on their own (self) and, in the line's own code, with what they call.
py-spy comes with the bench extras (`pip install -e '.[bench]'`).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 250  # samples a second per thread


def py_spy() -> str:
    local = Path(sys.executable).parent / "py-spy"
    found = str(local) if local.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is not installed: pip install -e '.[bench]'")
    return found


class Recorder:
    def __init__(self, master_pid: int, out_base: Path, seconds: float):
        self.master_pid = master_pid
        self.path = out_base.with_suffix(".txt")
        self.seconds = max(1, int(round(seconds)))
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Recorder":
        self.process = subprocess.Popen(
            [py_spy(), "record", "--pid", str(self.master_pid), "--subprocesses", "--nonblocking",
             "--rate", str(RATE), "--duration", str(self.seconds), "--format", "raw", "--output", str(self.path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(self, *exc) -> None:
        try:
            _, err = self.process.communicate(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        if self.process.returncode != 0 and not self.path.exists():
            raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-500:]}")

    def summary(self, top: int = 15) -> str:
        return summarize(self.path.read_text() if self.path.exists() else "", top)


def _frames(stack: str) -> list[str]:
    frames = []
    for frame in stack.split(";"):
        name, _, where = frame.partition(" (")
        where = where.rstrip(")")
        path, _, _line = where.rpartition(":")
        frames.append(f"{name} ({_short(path)})")
    return frames


def _short(path: str) -> str:
    """ivr/channels/sms.py, flask/app.py, stdlib: what a reader needs of a frame's file."""
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if path.startswith(root):
        return path[len(root):]
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1]
    if "/lib/python3" in path:
        return "stdlib/" + path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return path


def summarize(collapsed: str, top: int = 15) -> str:
    """The functions with most samples on their own, and the line's own functions with what they call."""
    self_time, inclusive, total = Counter(), Counter(), 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in _frames(stack) if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        self_time[frames[-1]] += n
        for frame in set(frames):
            if "(ivr/" in frame or "(app.py" in frame:
                inclusive[frame] += n
    if not total:
        return "no samples"
    lines = [f"{total} samples", "self (the function itself):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in self_time.most_common(top)]
    lines.append("inclusive, the line's own code (with what it calls):")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)
