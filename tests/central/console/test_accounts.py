"""Operator accounts on both databases, with the store's injectable clock (no waiting)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from central.console.accounts import (
    FAILURE_WINDOW_S,
    MAX_FAILURES,
    SESSION_TTL_S,
    AccountError,
    LoginOutcome,
    OperatorRole,
    OperatorStore,
    operators,
    sessions,
)
from central.store import SqlCentralStore

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(store: SqlCentralStore, clock: Clock) -> OperatorStore:
    return OperatorStore(store.engine, clock=clock)


def test_roles_are_ordered() -> None:
    assert OperatorRole.ADMIN.allows(OperatorRole.OPERATOR)
    assert OperatorRole.OPERATOR.allows(OperatorRole.VIEWER)
    assert not OperatorRole.VIEWER.allows(OperatorRole.OPERATOR)
    assert not OperatorRole.OPERATOR.allows(OperatorRole.ADMIN)


def test_the_password_is_kept_as_an_argon2id_hash(
    accounts: OperatorStore, store: SqlCentralStore
) -> None:
    accounts.add("alice", PASSWORD, OperatorRole.OPERATOR)
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(operators.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_accounts_refuse_bad_names_short_passwords_and_duplicates(accounts: OperatorStore) -> None:
    with pytest.raises(AccountError) as bad_name:
        accounts.add("alice smith", PASSWORD, OperatorRole.VIEWER)
    assert bad_name.value.code == "bad_name"
    with pytest.raises(AccountError) as weak:
        accounts.add("alice", "short", OperatorRole.VIEWER)
    assert weak.value.code == "weak_password"
    accounts.add("alice", PASSWORD, OperatorRole.VIEWER)
    with pytest.raises(AccountError) as taken:
        accounts.add("alice", PASSWORD, OperatorRole.ADMIN)
    assert taken.value.code == "taken"


def test_a_session_expires_and_only_its_hash_is_stored(
    accounts: OperatorStore, store: SqlCentralStore, clock: Clock
) -> None:
    accounts.add("bob", PASSWORD, OperatorRole.ADMIN)
    outcome, token = accounts.login("bob", PASSWORD, client="10.0.0.1")
    assert outcome is LoginOutcome.OK
    assert token
    session = accounts.session(token)
    assert session is not None
    assert session.operator.role is OperatorRole.ADMIN
    with store.engine.connect() as connection:
        kept = connection.execute(sa.select(sessions.c.token_hash)).scalars().all()
    assert token not in kept
    assert len(kept) == 1

    clock.now += SESSION_TTL_S - 1
    assert accounts.session(token) is not None
    clock.now += 2
    assert accounts.session(token) is None


def test_wrong_passwords_lock_the_name_until_the_window_passes(
    accounts: OperatorStore, clock: Clock
) -> None:
    accounts.add("carol", PASSWORD, OperatorRole.VIEWER)
    for _ in range(MAX_FAILURES):
        assert accounts.login("carol", "wrong password", client="10.0.0.2")[0] is (
            LoginOutcome.REFUSED
        )
    assert accounts.login("carol", PASSWORD, client="10.0.0.3")[0] is LoginOutcome.THROTTLED

    clock.now += FAILURE_WINDOW_S + 1
    outcome, token = accounts.login("carol", PASSWORD, client="10.0.0.3")
    assert outcome is LoginOutcome.OK
    assert token is not None


def test_an_unknown_name_is_refused_like_a_wrong_password(accounts: OperatorStore) -> None:
    assert accounts.login("nobody", PASSWORD, client="10.0.0.4") == (LoginOutcome.REFUSED, None)


def test_a_logged_out_session_is_gone(accounts: OperatorStore) -> None:
    accounts.add("dave", PASSWORD, OperatorRole.VIEWER)
    _, token = accounts.login("dave", PASSWORD, client="10.0.0.5")
    assert token is not None
    accounts.logout(token)
    assert accounts.session(token) is None
