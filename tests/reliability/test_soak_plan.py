"""The soak's plan of residents: every fault of a payment meets a payment."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.reliability import soak_faults as sf

PRICES = {"household": 250, "residence": 250, "life": 0}
"""kiosk.toml's: the life certificate is free, so no payment is made for it alone."""


@given(st.integers(min_value=1, max_value=800))
def test_the_plan_plays_every_resident_once(total: int) -> None:
    episodes = list(sf.plan(total, prices=PRICES))
    assert sum(e.sessions for e in episodes) == total
    assert episodes[0].fault is sf.Fault.NONE
    assert episodes[0].sessions == sf.warmup(total)
    assert all(e.sessions >= 1 for e in episodes)


def test_a_payment_fault_never_falls_on_a_free_choice() -> None:
    episodes = list(sf.plan(500, prices=PRICES))
    paying = [e for e in episodes if e.fault in sf.PAYMENT_FAULTS]
    assert {e.fault for e in paying} == sf.PAYMENT_FAULTS
    assert len(paying) == 4 * ((500 - sf.warmup(500)) // sf.ROUND)  # the four in each round
    assert all(sum(PRICES[d] for d in e.documents) > 0 for e in paying)
    # without prices, the choices turn regardless: one in four of those would pay nothing
    free = [e for e in sf.plan(500) if e.fault in sf.PAYMENT_FAULTS and e.documents == ("life",)]
    assert free
