"""``relay``: the command line of the stack (SPEC §5)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from worker.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    settings = Settings()
    if settings.profile_dir is not None and args.command in ("api", "worker"):  # each process
        return _profiled(args, settings, settings.profile_dir)
    return _run(args, settings)


def _profiled(args: argparse.Namespace, settings: Settings, directory: Path) -> int:
    """``_run`` under cProfile; the stats go to ``directory`` when the command returns (it
    does on SIGTERM and Ctrl-C: both stop the worker and the API gracefully)."""
    import cProfile
    import os
    import signal

    def stop(*_: object) -> None:
        raise SystemExit(0)

    # uvicorn re-raises the SIGTERM it handled once it has stopped: exit through `finally`.
    signal.signal(signal.SIGTERM, stop)
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(_run, args, settings)
    finally:
        directory.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(directory / f"{args.command}-{os.getpid()}.prof")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relay", description="Relay workflow automation")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="run Temporal dev server + UI, a worker and the API")
    commands.add_parser("api", help="serve the REST API")
    worker = commands.add_parser("worker", help="run a Temporal worker")
    worker.add_argument(
        "--processes",
        type=int,
        default=1,
        help="worker processes to run (one uses one core: `relay dev` runs one per core)",
    )
    db = commands.add_parser("db", help="database administration")
    db.add_argument("action", choices=["upgrade"])
    tenant = commands.add_parser("tenant", help="tenants and API keys")
    tenant.add_argument("action", choices=["create"])
    tenant.add_argument("name")
    key = commands.add_parser("key", help="a tenant's API keys")
    key.add_argument("action", choices=["create"])
    key.add_argument("--tenant", default="dev", help="the tenant's id (default: the dev tenant)")
    key.add_argument("--name", default="cli", help="what the key is for (shown in the audit log)")
    key.add_argument(
        "--role", required=True, choices=["admin", "editor", "operator", "viewer", "ingest"]
    )
    key.add_argument("--expires-in-days", type=int, default=None, help="none: never expires")
    validate = commands.add_parser(
        "validate", help="check a definition file (JSON or YAML): errors and warnings"
    )
    validate.add_argument("file", type=Path)
    simulate = commands.add_parser(
        "simulate", help="run a definition file with time skipped and nothing sent: its timeline"
    )
    simulate.add_argument("file", type=Path)
    simulate.add_argument(
        "--event", type=Path, help='the event (JSON/YAML: {"type", "entity", "data", "events"})'
    )
    simulate.add_argument("--json", action="store_true", help="print the raw report as JSON")
    event = commands.add_parser("event", help="events: send one to the API")
    event.add_argument("action", choices=["send"])
    event.add_argument("--type", required=True, help="the event type, e.g. booking.created")
    event.add_argument("--entity", help="the record the event is about")
    event.add_argument("--data", help="the event's data: JSON, or @FILE")
    event.add_argument("--id", help="the event id (a redelivery with the same id starts nothing)")
    event.add_argument("--api-url", help="default: http://RELAY_API_HOST:RELAY_API_PORT")
    runs = commands.add_parser("runs", help="runs: list them, or show one with its steps")
    runs_commands = runs.add_subparsers(dest="action", required=True)
    token = runs_commands.add_parser(
        "entity-token", help="what to search the Temporal UI's RelayEntity for, for an entity"
    )
    token.add_argument("entity")
    token.add_argument("--tenant", default="dev", help="the tenant's id (default: dev)")
    runs_list = runs_commands.add_parser("list", help="the newest runs, as a table")
    runs_list.add_argument("--workflow", help="only this workflow's runs (its id)")
    runs_list.add_argument(
        "--status", help="running, waiting, completed, goal_reached, failed, cancelled, skipped"
    )
    runs_list.add_argument(
        "--failed-steps",
        action="store_true",
        help="only runs with a failed step (those that went on past one included)",
    )
    runs_list.add_argument("--limit", type=int, default=20, help="how many (default 20, max 200)")
    runs_show = runs_commands.add_parser("show", help="one run and its steps")
    runs_show.add_argument("run_id")
    for runs_command in (runs_list, runs_show):
        runs_command.add_argument("--api-url", help="default: http://RELAY_API_HOST:RELAY_API_PORT")
    schema = commands.add_parser("schema", help="print the definition language's JSON Schema")
    schema.add_argument("--output", "-o", type=Path, help="write it to this file instead")
    return parser


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "event":
        from worker.send_event import send_event

        return send_event(
            settings,
            args.type,
            entity=args.entity,
            data=args.data,
            event_id=args.id,
            api_url=args.api_url,
        )
    if args.command == "runs":
        from worker.runs_cli import list_runs, show_run

        if args.action == "show":
            return show_run(settings, args.run_id, api_url=args.api_url)
        if args.action == "entity-token":
            return _entity_token(settings, args.tenant, args.entity)
        return list_runs(
            settings,
            workflow=args.workflow,
            status=args.status,
            failed_steps=args.failed_steps,
            limit=args.limit,
            api_url=args.api_url,
        )
    if args.command == "dev":
        from worker.dev import run_dev

        return run_dev(settings)
    if args.command == "api":
        return _serve_api(settings)
    if args.command == "worker" and args.processes > 1:
        from worker.processes import run_processes

        return run_processes(args.processes)
    if args.command == "worker":
        import uvloop

        from worker.run import run_worker

        # libuv's event loop: the worker's loop hands every activation, activity and database
        # call between the SDK's threads and ours; asyncio's own took a fifth of its CPU.
        uvloop.run(run_worker(settings))
        return 0
    if args.command == "db":
        from storage.db import upgrade

        upgrade(settings.database_url)
        print("database is at the latest schema")
        return 0
    if args.command == "tenant":
        return _create_tenant(settings, args.name)
    if args.command == "key":
        return _create_key(settings, args.tenant, args.name, args.role, args.expires_in_days)
    if args.command == "validate":
        return _validate(args.file)
    if args.command == "schema":
        return _schema(args.output)
    if args.command == "simulate":
        return _simulate(settings, args.file, args.event, as_json=args.json)
    return 2


def _serve_api(settings: Settings) -> int:
    import uvicorn

    from storage.db import make_engine
    from worker.composition import build_api
    from worker.heap import API_YOUNG_THRESHOLD, settle

    app = build_api(settings, make_engine(settings.database_url))
    settle(API_YOUNG_THRESHOLD)
    # Requests are logged by ``api.access_log``, with tokens and query strings left out.
    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        access_log=False,
        loop="uvloop",  # libuv's event loop and parser: less CPU per request than asyncio's and h11
        http="httptools",
    )
    return 0


def _create_tenant(settings: Settings, name: str) -> int:
    from storage.db import make_engine, session_scope, upgrade
    from storage.tenants import create_tenant

    upgrade(settings.database_url)
    with session_scope(make_engine(settings.database_url)) as session:
        tenant, key = create_tenant(session, name)
    print(f"tenant {tenant.id} ({name})")
    print(f"API key (shown once): {key}")
    return 0


def _entity_token(settings: Settings, tenant_id: str, entity: str) -> int:
    from worker.composition import entity_key
    from workflows.search_attributes import entity_token

    key = entity_key(settings)
    value = entity_token(key, tenant_id, entity) if key else entity
    print(value)
    print(f"Temporal UI query: RelayTenant = '{tenant_id}' AND RelayEntity = '{value}'")
    return 0


def _create_key(
    settings: Settings, tenant_id: str, name: str, role: str, expires_in_days: int | None
) -> int:
    from datetime import UTC, datetime, timedelta

    from storage.db import make_engine, session_scope, upgrade
    from storage.models import Tenant
    from storage.tenants import new_key

    upgrade(settings.database_url)
    expires_at = None
    if expires_in_days is not None:
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)
    with session_scope(make_engine(settings.database_url)) as session:
        if session.get(Tenant, tenant_id) is None:
            print(f"no tenant {tenant_id!r}", file=sys.stderr)
            return 1
        row, key = new_key(session, tenant_id, name=name, role=role, expires_at=expires_at)
        key_id = row.id
    print(f"{role} key {key_id} ({name}) of tenant {tenant_id}")
    print(f"API key (shown once): {key}")
    return 0


def _validate(path: Path) -> int:
    """Errors and warnings, one a line (``FILE: error: PATH: MESSAGE``); 1 when any error."""
    from definitions.errors import DefinitionError
    from definitions.loading import Report, check_definition

    try:
        document = _read_document(path)
    except OSError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    except DefinitionError as exc:  # not JSON/YAML at all
        report = Report(errors=exc.problems)
    else:
        report = check_definition(document)
    for kind, problems in (("error", report.errors), ("warning", report.warnings)):
        for problem in problems:
            print(f"{path}: {kind}: {problem.path or '<root>'}: {problem.message}", file=sys.stderr)
    counts = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    if not report.valid or report.definition is None:
        print(f"{path}: invalid ({counts})")
        return 1
    shape = f"{len(report.definition.nodes)} nodes, {len(report.definition.edges)} edges"
    print(f"{path}: valid ({shape}; {counts})")
    return 0


def _simulate(settings: Settings, path: Path, event_path: Path | None, *, as_json: bool) -> int:
    """The run's timeline (or, with ``as_json``, the report); 1 when the file is invalid."""
    from definitions.errors import DefinitionError
    from definitions.loading import load_definition
    from worker.composition import payload_codec
    from worker.simulator import simulate_file, timeline_text

    try:
        definition = load_definition(_read_document(path))
        event = _read_document(event_path) if event_path else None
        report = asyncio.run(simulate_file(definition, event, payload_codec(settings)))
    except OSError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    except DefinitionError as exc:
        for problem in exc.problems:
            print(f"{path}: error: {problem.path or '<root>'}: {problem.message}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2, default=str) if as_json else timeline_text(report))
    return 0


def _read_document(path: Path) -> object:
    """A definition file: YAML for .yaml/.yml, JSON otherwise."""
    from definitions.documents import parse_yaml
    from definitions.errors import DefinitionError

    data = path.read_bytes()
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(data)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise DefinitionError.at("", message) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise DefinitionError.at("", "not valid JSON text") from exc


def _schema(output: Path | None) -> int:
    from definitions.schema import definition_json_schema_text

    text = definition_json_schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    return 0


LOG_LEVELS = {
    "": logging.INFO,
    "alembic": logging.WARNING,
    # httpx (the CLI's client of the API) logs every request's full URL at INFO: noise, and a
    # URL can carry a secret (a token in a query string).
    "httpx": logging.WARNING,
}
"""What Relay's processes log; ``tests/api/test_log_hygiene.py`` checks a run's logs at
these levels carry no event data, recipients or secrets (DEBUG logs of the SDK do: never run
production at DEBUG)."""


def configure_logging() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name, level in LOG_LEVELS.items():
        logging.getLogger(name or None).setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
