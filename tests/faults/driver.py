"""A sweep in a process of its own, as the fault scenarios need it: run by `Cluster.drive`.

    python -m tests.faults.driver sweep [--start-at EPOCH] [--shift SECONDS]
    python -m tests.faults.driver beat --from ISO --minutes 10 --every 30 [--offset SECONDS]

`sweep` runs the body of `notifications.tasks.sweep` once — what a worker does when beat's
message arrives — optionally waiting for a wall-clock moment (so two start together) and with the
clock moved `--shift` seconds ahead (a sweep that much later, e.g. after a lease ran out). `beat`
is a beat process of its own under time-machine: a sweep every `--every` simulated seconds for
`--minutes` simulated minutes. Prints one JSON line: what the sweeps recorded and re-queued."""

import argparse
import datetime
import json
import os
import sys
import time
import traceback

import django


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["sweep", "beat"])
    parser.add_argument("--start-at", type=float, default=0.0)
    parser.add_argument("--shift", type=float, default=0.0)
    parser.add_argument("--from", dest="start", default="")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--offset", type=float, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    django.setup()
    import time_machine

    from notifications import tasks

    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    out = {"ok": True, "sweeps": 0, "recorded": 0, "requeued": 0}
    started = time.monotonic()
    try:
        if args.command == "sweep":
            with time_machine.travel(time.time() + args.shift, tick=True):
                result = tasks.sweep()
            out.update(sweeps=1, recorded=result["recorded"], requeued=result["requeued"])
        else:
            start = datetime.datetime.fromisoformat(args.start)
            steps = int(args.minutes * 60 // args.every)
            for step in range(steps + 1):
                moment = start + datetime.timedelta(seconds=step * args.every + args.offset)
                with time_machine.travel(moment, tick=False):
                    result = tasks.sweep()
                out["sweeps"] += 1
                out["recorded"] += result["recorded"]
                out["requeued"] += result["requeued"]
                time.sleep(0.1)  # a beat tick is not instant: the workers send in between
    except Exception as exc:
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
    out["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(out), flush=True)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
