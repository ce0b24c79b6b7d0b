"""The secrets store: encrypted at rest, scoped by tenant, decrypted only for the worker."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import session_scope
from storage.models import Secret
from storage.secrets import (
    SecretBox,
    SecretsKeyError,
    SecretStore,
    delete_secret,
    list_secrets,
    put_secret,
)
from storage.tenants import create_tenant

KEY = SecretBox.generate_key()


def _tenant(engine: Engine) -> str:
    with session_scope(engine) as session:
        tenant, _ = create_tenant(session, "Acme", tenant_id=f"t_{uuid.uuid4().hex[:12]}")
    return tenant.id


def test_a_value_round_trips_and_its_ciphertext_does_not_contain_it() -> None:
    box = SecretBox(KEY)

    token = box.encrypt("sk_live_42 ünïcode")

    assert "sk_live_42" not in token
    assert box.decrypt(token) == "sk_live_42 ünïcode"
    assert box.encrypt("same") != box.encrypt("same")  # random IV per encryption


def test_keys_rotate_the_first_encrypts_any_decrypts() -> None:
    old_box = SecretBox(KEY)
    new_key = SecretBox.generate_key()
    token = old_box.encrypt("v")

    rotated = SecretBox(f"{new_key},{KEY}")

    assert rotated.decrypt(token) == "v"
    assert SecretBox(new_key).decrypt(rotated.encrypt("w")) == "w"
    with pytest.raises(InvalidToken):
        SecretBox(new_key).decrypt(token)


@pytest.mark.parametrize("key", ["", "not-a-key", "short,"])
def test_an_invalid_key_is_refused_with_a_clear_message(key: str) -> None:
    with pytest.raises(SecretsKeyError, match="RELAY_SECRETS_KEY must be one or more Fernet keys"):
        SecretBox(key)


def test_put_replaces_list_names_and_delete_removes_per_tenant(engine: Engine) -> None:
    box = SecretBox(KEY)
    acme, globex = _tenant(engine), _tenant(engine)
    with session_scope(engine) as session:
        put_secret(session, box, acme, "API_KEY", "first")
        put_secret(session, box, acme, "API_KEY", "second")
        put_secret(session, box, acme, "B_TOKEN", "b")
        put_secret(session, box, globex, "API_KEY", "globex's")

    with session_scope(engine) as session:
        assert [s.name for s in list_secrets(session, acme)] == ["API_KEY", "B_TOKEN"]
        assert [s.name for s in list_secrets(session, acme, after="API_KEY")] == ["B_TOKEN"]
        stored = session.exec(select(Secret).where(Secret.tenant_id == acme)).all()
        assert all("second" not in row.ciphertext for row in stored)
    assert SecretStore(engine, box).lookup(acme) == {"API_KEY": "second", "B_TOKEN": "b"}
    assert SecretStore(engine, box).lookup(globex) == {"API_KEY": "globex's"}

    with session_scope(engine) as session:
        assert delete_secret(session, acme, "API_KEY") is True
        assert delete_secret(session, acme, "API_KEY") is False
        assert delete_secret(session, acme, "NEVER") is False
    assert SecretStore(engine, box).lookup(acme) == {"B_TOKEN": "b"}
    assert SecretStore(engine, box).lookup(globex) == {"API_KEY": "globex's"}


def test_lookup_skips_secrets_written_under_a_key_no_longer_configured(engine: Engine) -> None:
    tenant = _tenant(engine)
    with session_scope(engine) as session:
        put_secret(session, SecretBox(KEY), tenant, "OLD", "o")
    other = SecretBox(SecretBox.generate_key())
    with session_scope(engine) as session:
        put_secret(session, other, tenant, "NEW", "n")

    assert SecretStore(engine, other).lookup(tenant) == {"NEW": "n"}


def test_without_a_key_the_worker_sees_no_secrets(engine: Engine) -> None:
    tenant = _tenant(engine)
    with session_scope(engine) as session:
        put_secret(session, SecretBox(KEY), tenant, "API_KEY", "x")

    assert SecretStore(engine, None).lookup(tenant) == {}


def test_a_store_fresh_for_a_while_reads_again_only_once_that_has_passed(engine: Engine) -> None:
    box = SecretBox(KEY)
    tenant_id = _tenant(engine)
    with session_scope(engine) as session:
        put_secret(session, box, tenant_id, "API_KEY", "v1")
    now = [100.0]
    store = SecretStore(engine, box, fresh_for=5, clock=lambda: now[0])
    assert store.lookup(tenant_id) == {"API_KEY": "v1"}

    with session_scope(engine) as session:
        put_secret(session, box, tenant_id, "API_KEY", "v2")

    now[0] += 4.9
    assert store.lookup(tenant_id) == {"API_KEY": "v1"}  # read within the last 5 s
    assert SecretStore(engine, box).lookup(tenant_id) == {"API_KEY": "v2"}  # not kept: read now
    now[0] += 0.2
    assert store.lookup(tenant_id) == {"API_KEY": "v2"}
