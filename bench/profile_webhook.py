"""Profile one webhook in-process with pyinstrument: `python -m bench.profile_webhook sms_keyword`.

The app is made with the benchmark's production settings on a temporary SQLite file and called
through Flask's test client with the benchmark's own signed requests, so the profile shows the
app's code without the server and the network. For the server itself, use
`python -m bench.run --profile DIR` (py-spy on the gunicorn workers).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from .run import AUTH_TOKEN, SECRET_KEY, TRANSFER_NUMBER, call_params, sms_params

BASE = "http://127.0.0.1:8000"
STEP = "/voice/step?node=main&lang=en&miss=0"
SCENARIOS = {
    "voice_call": lambda i: ("/voice", call_params(i, CallStatus="ringing")),
    "voice_digits": lambda i: (STEP, call_params(i, Digits="3", CallStatus="in-progress")),
    "voice_speech": lambda i: (STEP, call_params(i, SpeechResult="um I want to hear about treatments",
                                                 Confidence="0.87", CallStatus="in-progress")),
    "sms_keyword": lambda i: ("/sms", sms_params(i, i % 500, "TREATMENT")),
}


def production_app(database: Path, base: str = BASE):
    """The app as the benchmark's server runs it (production settings), on this SQLite file, in
    this process; its log quiet (the lines would drown the output)."""
    env = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SECRET_KEY": SECRET_KEY,
           "PUBLIC_BASE_URL": base, "DATABASE_URL": f"sqlite:///{database}",
           "TRANSFER_NUMBER": TRANSFER_NUMBER, "OUTBOX_WORKER": "0"}
    with mock.patch.dict(os.environ, env):
        from ivr.app import create_app

        app = create_app()
    logging.getLogger("ivr").handlers[:] = [logging.NullHandler()]
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_webhook", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", type=Path, help="write pyinstrument's HTML page here as well")
    args = parser.parse_args(argv)

    from pyinstrument import Profiler
    from twilio.request_validator import RequestValidator

    with tempfile.TemporaryDirectory(prefix="ivr-profile-") as tmp:
        app = production_app(Path(tmp) / "profile.sqlite3")
        client, validator = app.test_client(), RequestValidator(AUTH_TOKEN)

        def post(i: int):
            path, params = SCENARIOS[args.scenario](i)
            signature = validator.compute_signature(BASE + path, params)
            response = client.post(path, data=params, base_url=BASE, headers={"X-Twilio-Signature": signature})
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")

        for i in range(20):  # warm up: caches, the first connections
            post(i)
        profiler = Profiler(interval=0.0005)
        cpu, started = time.process_time(), time.perf_counter()
        profiler.start()
        for i in range(100, 100 + args.requests):
            post(i)
        profiler.stop()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(profiler.output_text(unicode=False, color=False))
        print(f"{args.requests} requests: {wall / args.requests * 1000:.2f} ms wall, "
              f"{cpu / args.requests * 1000:.2f} ms CPU each (with the profiler on)")
        if args.html:
            args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
