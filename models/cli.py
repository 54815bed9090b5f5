"""The headless CLI: ``python -m models schema | presets | train | summary``.

Exit codes: 0 for a completed or diverged run (divergence is an outcome, not an error), 2 with one
sentence on stderr for an invalid config or file (an engine problem worded in English by the
string tables, as the pages word it), 1 for anything else (stopped, failed).
TensorFlow is imported only by the commands that build a model.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from locales import say, say_first
from models.config import RunConfig
from models.export import keras_script, write_tensorboard
from models.fields import config_from_json, parse_config, with_changes
from models.infra.store import RunStore, StoreError, check_name, record_json
from models.problems import ProblemError, problem
from models.record import collect, reason_problem
from models.teaching.presets import PRESETS, get_preset


class UsageError(Exception):
    """Bad input from the command line: one sentence, exit code 2."""


def _load_config(args: argparse.Namespace) -> RunConfig:
    if args.preset and args.config:
        raise UsageError("give either a CONFIG file or --preset, not both")
    if args.preset:
        try:
            cfg = get_preset(args.preset).config()
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
    elif args.config:
        path = Path(args.config)
        try:
            text = sys.stdin.read() if args.config == "-" else path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.config}: {exc.strerror}") from None
        cfg = config_from_json(text)
    else:
        cfg = RunConfig()
    changes = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set takes FIELD=VALUE (e.g. model.depth=10), not {item!r}")
        changes[key.strip()] = value
    return with_changes(cfg, changes) if changes else cfg


def _configure_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")  # tiny models: threads cost more than
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")  # they give


class _Progress:
    """Progress on stderr: one refreshed line on a terminal, a line every few seconds otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.total = 0

    def __call__(self, event: dict) -> None:
        kind = event["type"]
        if kind == "start":
            self.total = event["total_steps"]
            print(
                f"training: {event['params']:,} parameters, {self.total:,} steps", file=sys.stderr
            )
        elif kind == "records":
            now = time.monotonic()
            if now - self.last < (0.2 if self.tty else 5.0):
                return
            self.last = now
            values = {r["name"]: r["value"] for r in event["records"] if r["layer"] is None}
            parts = [f"step {event['step']:,}/{self.total:,}"]
            parts += [f"{k} {values[k]:.4g}" for k in ("loss", "val_loss") if k in values]
            end = "\r" if self.tty else "\n"
            print("  ".join(parts).ljust(60), end=end, file=sys.stderr, flush=True)
        elif kind == "end":
            if self.tty:
                print(file=sys.stderr)
            line = f"{event['status']} at step {event['step']:,} in {event['wall_time']:.1f} s"
            if event.get("reason"):
                line += f": {say(event['reason'], 'en')}"
            print(line, file=sys.stderr)


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(RunConfig.model_json_schema(), indent=2))
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps({n: {"title": p.title, "claim": p.claim} for n, p in PRESETS.items()}))
        return 0
    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        print(f"{name.ljust(width)}  {preset.title}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    cfg = _load_config(args)
    store = None
    if args.save:  # a bad name or an unusable store is said before the run, not after it
        name = check_name(args.name) if args.name is not None else None
        store = RunStore(args.db)
    _configure_tensorflow()
    from models.trainer import Trainer  # noqa: PLC0415 - imports TensorFlow

    stop = {"requested": False}

    def on_interrupt(signum, frame):  # Ctrl-C: stop at the next chunk and still write the record
        stop["requested"] = True

    signal.signal(signal.SIGINT, on_interrupt)
    progress = _Progress() if not args.quiet else None
    result = collect(cfg, Trainer(cfg).events(lambda: stop["requested"]), progress)
    record = result.to_json_dict()
    text = json.dumps(record, allow_nan=False)
    if args.out:  # written first: a store that fails now still leaves the record
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text + "\n")
    if store is not None:
        run_id = store.save(record, owner=CLI_OWNER, name=name)
        print(f"saved as run {run_id}", file=sys.stderr)
    return 0 if result.status in ("completed", "diverged") else 1


CLI_OWNER = "cli"  # the owner of runs saved headless (a browser session's runs have its id)


def cmd_runs(args: argparse.Namespace) -> int:
    """runs list | show ID | export ID --format csv|parquet|json|tensorboard|script | delete ID"""
    store = RunStore(args.db)
    if args.action == "list":
        rows = store.list_all()
        if args.json:
            print(json.dumps([{"owner": o, **_summary(r)} for o, r in rows]))
            return 0
        for owner, r in rows:
            print(
                f"{r.id}  {r.created_at:%Y-%m-%d %H:%M}  {r.status:10s} {r.steps:>8,d} steps  "
                f"{owner[:12]:12s}  {r.name}"
            )
        return 0
    if not args.id:
        raise UsageError(f"runs {args.action} needs a run id (see: python -m models runs list)")
    if args.action == "delete":
        if not store.delete(args.id):
            raise StoreError(problem("store.not_found", run_id=args.id))
        print(f"deleted run {args.id}", file=sys.stderr)
        return 0
    record = store.get(args.id)
    if record is None:
        raise StoreError(problem("store.not_found", run_id=args.id))
    if args.action == "show":
        summary = {k: v for k, v in record.items() if k not in ("metrics", "snapshots", "filters")}
        if (reason := reason_problem(record["reason"])) is not None:
            summary["reason"] = say(reason, "en")  # for reading; `export` keeps the code
        summary["metric_rows"] = len(record["metrics"])
        print(json.dumps(summary, indent=2))
        return 0
    fmt = args.format
    out = Path(args.out) if args.out else None
    if fmt == "json":
        text = record_json(record)
        out.write_text(text) if out else sys.stdout.write(text + "\n")
    elif fmt == "csv":
        frame = record["metrics"].astype({"depth": "Int64", "t": "Int64"})
        text = frame.to_csv(index=False, lineterminator="\n")
        out.write_text(text) if out else sys.stdout.write(text)
    elif fmt == "tensorboard":
        if out is None:
            raise UsageError(
                "--format tensorboard needs --out DIR (then: tensorboard --logdir DIR)"
            )
        _configure_tensorflow()
        tags = write_tensorboard(record["metrics"], str(out))
        print(f"wrote {tags} scalar series to {out}", file=sys.stderr)
    elif fmt == "script":
        text = keras_script(parse_config(record["config"]))
        out.write_text(text) if out else sys.stdout.write(text)
    else:  # parquet is binary: a file only
        if out is None:
            raise UsageError("--format parquet needs --out FILE")
        record["metrics"].to_parquet(out, index=False)
    return 0


def _summary(r) -> dict:
    return {
        "id": r.id,
        "name": r.name,
        "created_at": r.created_at.isoformat(),
        "status": r.status,
        "steps": r.steps,
        "diverged_at": r.diverged_at,
        "wall_time": r.wall_time,
    }


def cmd_summary(args: argparse.Namespace) -> int:
    cfg = _load_config(args)
    _configure_tensorflow()
    from models.builders import layer_summary

    summary = layer_summary(cfg)
    summary["closed_form_params"] = cfg.param_count
    print(json.dumps(summary, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models", description="Gradient Lab engine: train and inspect configs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("schema", help="print the JSON Schema of the run config").set_defaults(
        func=cmd_schema
    )
    p = sub.add_parser("presets", help="list the named experiments")
    p.add_argument("--json", action="store_true", help="print names, titles and claims as JSON")
    p.set_defaults(func=cmd_presets)
    for name, func, help_text in [
        ("train", cmd_train, "train a config; progress on stderr, the run record as JSON"),
        ("summary", cmd_summary, "per-layer parameter counts from Keras, as JSON"),
    ]:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("config", nargs="?", help="a config JSON file ('-' for stdin)")
        p.add_argument("--preset", help="a named experiment (see: python -m models presets)")
        p.add_argument(
            "--set",
            action="append",
            metavar="FIELD=VALUE",
            help="change one field, e.g. --set model.depth=10 (repeatable)",
        )
        if name == "train":
            p.add_argument("--out", help="write the run record here instead of stdout")
            p.add_argument("--quiet", action="store_true", help="no progress on stderr")
            p.add_argument("--save", action="store_true", help="also save the run in the store")
            p.add_argument("--name", help="the saved run's name (at most 100 characters)")
            p.add_argument("--db", help="database URL or SQLite path (default: GRADIENT_LAB_DB)")
        p.set_defaults(func=func)
    p = sub.add_parser("runs", help="saved runs: list, show, export, delete")
    p.add_argument("action", choices=["list", "show", "export", "delete"])
    p.add_argument("id", nargs="?", help="a run id (from: runs list)")
    p.add_argument(
        "--format", choices=["csv", "parquet", "json", "tensorboard", "script"], default="json"
    )
    p.add_argument("--out", help="write the export here (parquet needs it)")
    p.add_argument("--json", action="store_true", help="list as JSON")
    p.add_argument("--db", help="database URL or SQLite path (default: GRADIENT_LAB_DB)")
    p.set_defaults(func=cmd_runs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ProblemError as exc:  # a config, a setting, a table...: codes worded in English
        print(f"error: {say_first(exc.problems, 'en')}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
