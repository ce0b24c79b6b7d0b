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
    validate = commands.add_parser("validate", help="validate a definition file")
    validate.add_argument("file", type=Path)
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
    from definitions.errors import DefinitionError
    from definitions.validation import load_definition

    try:
        document = json.loads(path.read_text())
        definition = load_definition(document)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    except DefinitionError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem.path or '<root>'}: {problem.message}", file=sys.stderr)
        return 1
    print(f"{path}: valid ({len(definition.nodes)} nodes, {len(definition.edges)} edges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
