"""The codec server (Temporal's remote-codec protocol) for the Temporal UI and CLI.

Temporal stores Relay's payloads encrypted (``storage.payload_codec``); an operator who opens a
run in the Temporal UI sees ciphertext unless the UI can ask this server to decode it. The UI
calls ``POST /codec/decode`` from the browser with ``{"payloads": [...]}`` in proto3 JSON
(base64 data and metadata) and shows what comes back; the CLI's ``--codec-endpoint`` does the
same. Who may: with ``RELAY_CODEC_SERVER_TOKEN`` set, a caller presenting it as a bearer token;
without it, callers on this machine only (the dev stack's UI on loopback).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from api.deps import Deps
from api.errors import ApiError, NotFound

router = APIRouter(prefix="/codec", tags=["codec"], include_in_schema=False)

_ALLOWED_HEADERS = "authorization, content-type, x-namespace"


@router.options("/{operation}")
async def preflight(operation: str, request: Request, deps: Deps) -> Response:
    response = Response(status_code=204)
    _allow_origin(request, response, deps.codec_origins)
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
    return response


@router.post("/decode")
async def decode(request: Request, response: Response, deps: Deps) -> dict[str, Any]:
    codec = _authorised(request, deps)
    payloads = await _payloads(request)
    _allow_origin(request, response, deps.codec_origins)
    return _as_json(await codec.decode(payloads))


@router.post("/encode")
async def encode(request: Request, response: Response, deps: Deps) -> dict[str, Any]:
    codec = _authorised(request, deps)
    payloads = await _payloads(request)
    _allow_origin(request, response, deps.codec_origins)
    return _as_json(await codec.encode(payloads))


def _authorised(request: Request, deps: Deps) -> Any:
    if deps.codec is None:
        raise NotFound("codec server", "(RELAY_CODEC_KEYS is unset)")
    if deps.codec_token:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        valid = scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), deps.codec_token.encode()
        )
        if not valid:
            raise ApiError(401, "Unauthorized", "the codec server needs its bearer token")
    elif not _loopback(request):
        raise ApiError(403, "Forbidden", "set RELAY_CODEC_SERVER_TOKEN to decode from elsewhere")
    return deps.codec


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _payloads(request: Request) -> list[Any]:
    try:
        parsed = json_format.Parse(await request.body(), Payloads())
    except json_format.ParseError as exc:
        message = "the body is not Temporal's {'payloads': [...]} JSON"
        raise ApiError(422, "Invalid request", message) from exc
    return list(parsed.payloads)


def _as_json(payloads: list[Any]) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


def _allow_origin(request: Request, response: Response, origins: tuple[str, ...]) -> None:
    origin = request.headers.get("origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
