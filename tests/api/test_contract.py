"""The API keeps its OpenAPI contract under generated input (SPEC §4, issue: "the API contract").

Schemathesis reads the served OpenAPI document and sends every operation examples, boundary
values and fuzzed input over a real socket: no response may be a server error, and every
response must have a status, media type and body the document declares. The run is bounded
(examples per operation) and seeded, so it is the same run each time and fits the suite.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage.secrets import SecretBox
from tests.api.conftest import Stack
from tests.helpers.serving import serving
from worker.simulator import Simulator

SCHEMATHESIS = Path(sys.executable).parent / "st"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SEED = "20261206"


async def test_no_server_errors_and_every_response_as_documented(stack: Stack) -> None:
    deps = stack.app.state.deps
    deps.secrets = SecretBox(SecretBox.generate_key())
    deps.simulator = Simulator()
    try:
        async with serving(stack.app) as url:
            process = await asyncio.create_subprocess_exec(
                str(SCHEMATHESIS), "run", f"{url}/openapi.json",
                "--header", f"Authorization: {stack.api.headers['authorization']}",
                "--checks", CHECKS,
                "--phases", "examples,coverage,fuzzing",
                "--max-examples", "3",
                "--workers", "1",
                "--seed", SEED,
                "--no-color",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            output, _ = await process.communicate()
    finally:
        await deps.simulator.close()
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
