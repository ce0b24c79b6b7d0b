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
    parser = argparse.ArgumentParser(prog="relay", description="Relay workflow automation")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="run Temporal dev server + UI, a worker and the API")
    commands.add_parser("api", help="serve the REST API")
    commands.add_parser("worker", help="run a Temporal worker")
    db = commands.add_parser("db", help="database administration")
    db.add_argument("action", choices=["upgrade"])
    tenant = commands.add_parser("tenant", help="tenants and API keys")
    tenant.add_argument("action", choices=["create"])
    tenant.add_argument("name")
    validate = commands.add_parser(
        "validate", help="check a definition file (JSON or YAML): errors and warnings"
    )
    validate.add_argument("file", type=Path)
    schema = commands.add_parser("schema", help="print the definition language's JSON Schema")
    schema.add_argument("--output", "-o", type=Path, help="write it to this file instead")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings()
    if args.command == "dev":
        from worker.dev import run_dev

        return run_dev(settings)
    if args.command == "api":
        return _serve_api(settings)
    if args.command == "worker":
        from worker.run import run_worker

        asyncio.run(run_worker(settings))
        return 0
    if args.command == "db":
        from storage.db import upgrade

        upgrade(settings.database_url)
        print("database is at the latest schema")
        return 0
    if args.command == "tenant":
        return _create_tenant(settings, args.name)
    if args.command == "validate":
        return _validate(args.file)
    if args.command == "schema":
        return _schema(args.output)
    return 2


def _serve_api(settings: Settings) -> int:
    import uvicorn

    from storage.db import make_engine
    from worker.composition import build_api

    app = build_api(settings, make_engine(settings.database_url))
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="info")  # type: ignore[arg-type]
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


def _validate(path: Path) -> int:
    """Errors and warnings, one a line (``FILE: error: PATH: MESSAGE``); 1 when any error."""
    from definitions.errors import DefinitionError
    from definitions.validation import Report, check_definition

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


if __name__ == "__main__":
    sys.exit(main())
