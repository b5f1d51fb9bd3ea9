"""The journey's steps, each declared once: its state, screen, prompt, time-out and personal data.

A step is one `Step` declaration. The session states (`SessionState`), the transition table
(`kiosk.session.TRANSITIONS`), the prompt keys (`kiosk.view.PROMPT_KEYS`), the default time-outs
(`DEFAULT_TIMEOUTS_S`), the states holding personal data and the UI's screen per state all derive
from the declarations, so that a new step is one `declare_step` call plus its screen module:

    TOY = SessionState.declare("toy")
    declare_step(Step(state=TOY, screen="mypackage.toy:ToyScreen", prompt_key="toy.prompt",
                      timeout_s=60.0, personal_data=True,
                      entered_from=frozenset({SessionState.CHOOSE_DOCUMENTS}),
                      forward=frozenset({SessionState.SUMMARY})))

`screen` names the screen's class as "module:Class"; the UI imports it (this package never imports
the UI). Every state may also move to ERROR, ATTRACT and OUT_OF_SERVICE (see `kiosk.session`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass
from typing import ClassVar, TypeVar

V = TypeVar("V")

_STATES: dict[str, SessionState] = {}
_STEPS: dict[SessionState, Step] = {}


class _DeclaredStates(type):
    """`SessionState` iterates over the states of the declared steps, in declaration order."""

    def __iter__(cls) -> Iterator[SessionState]:
        return iter(tuple(_STEPS))

    def __len__(cls) -> int:
        return len(_STEPS)


class SessionState(metaclass=_DeclaredStates):
    """One step's state: a singleton per value (`SessionState("pin") is SessionState.PIN`)."""

    __slots__ = ("name", "value")
    name: str
    value: str

    ATTRACT: ClassVar[SessionState]
    LANGUAGE: ClassVar[SessionState]
    INSERT_CARD: ClassVar[SessionState]
    READING: ClassVar[SessionState]
    PIN: ClassVar[SessionState]
    VERIFYING: ClassVar[SessionState]
    CHOOSE_DOCUMENTS: ClassVar[SessionState]
    SUMMARY: ClassVar[SessionState]
    PAYMENT: ClassVar[SessionState]
    ISSUING: ClassVar[SessionState]
    REVERSING: ClassVar[SessionState]
    TAKE_DOCUMENTS: ClassVar[SessionState]
    REMOVE_CARD: ClassVar[SessionState]
    ERROR: ClassVar[SessionState]
    OUT_OF_SERVICE: ClassVar[SessionState]

    def __new__(cls, value: str) -> SessionState:
        """The declared state of `value`; ValueError for a state no step declared."""
        try:
            return _STATES[value]
        except KeyError:
            raise ValueError(f"{value!r} is not a declared session state") from None

    def __init__(self, value: str) -> None:  # the singleton is already initialised
        pass

    @classmethod
    def declare(cls, value: str) -> SessionState:
        """A new state named `value` (lower case words joined by "_"); its step follows."""
        if value in _STATES:
            raise ValueError(f"session state {value!r} is already declared")
        if not value or not value.replace("_", "").isalnum() or value != value.lower():
            raise ValueError(f"a session state is lower-case words joined by '_': {value!r}")
        state: SessionState = object.__new__(cls)
        state.name = value.upper()
        state.value = value
        _STATES[value] = state
        return state

    def __repr__(self) -> str:
        return f"<SessionState.{self.name}: {self.value!r}>"

    def __reduce__(self) -> tuple[type[SessionState], tuple[str]]:
        return (SessionState, (self.value,))  # a copy or an unpickled state is the singleton

    def __copy__(self) -> SessionState:
        return self

    def __deepcopy__(self, memo: object) -> SessionState:
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What a journey step declares."""

    state: SessionState
    screen: str
    """The screen's class, "module:Class" (imported by the UI)."""
    prompt_key: str
    """The translation key of the screen's title."""
    timeout_s: float | None = None
    """The default inactivity time-out; None for a step waiting on a device (its own time-outs)."""
    personal_data: bool = False
    """The step holds the resident's personal data (wiped when the card is removed)."""
    committed: bool = False
    """The order is committed: the step never jumps back to ATTRACT (complete or reverse first)."""
    forward: frozenset[SessionState] = frozenset()
    """The steps that may follow (besides ERROR, ATTRACT and OUT_OF_SERVICE)."""
    entered_from: frozenset[SessionState] = frozenset()
    """Steps declared elsewhere that may move to this one (added to their `forward`)."""


def declare_step(step: Step) -> None:
    """Add `step` to the journey (its state from `SessionState.declare`)."""
    if _STATES.get(step.state.value) is not step.state:
        raise ValueError(f"{step.state!r} was not declared with SessionState.declare")
    if step.state in _STEPS:
        raise ValueError(f"step {step.state.value!r} is already declared")
    unknown = {s for s in step.forward | step.entered_from if _STATES.get(s.value) is not s}
    if unknown:
        raise ValueError(f"step {step.state.value!r} names undeclared states {unknown!r}")
    _STEPS[step.state] = step


def withdraw_step(state: SessionState) -> None:
    """Remove a step and its state (a test's toy step, for instance)."""
    _STEPS.pop(state, None)
    _STATES.pop(state.value, None)


def steps() -> tuple[Step, ...]:
    """The declared steps, in declaration order."""
    return tuple(_STEPS.values())


def step(state: SessionState) -> Step:
    return _STEPS[state]


def forward_of(state: SessionState) -> frozenset[SessionState]:
    """The declared successors of `state`: its own `forward` and the steps entered from it."""
    entering = {s.state for s in _STEPS.values() if state in s.entered_from}
    return frozenset(_STEPS[state].forward | entering)


class DerivedMapping(Mapping[SessionState, V]):
    """{state: value} over the declared steps, always current; steps giving None are absent."""

    def __init__(self, pick: Callable[[Step], V | None]) -> None:
        self._pick = pick

    def __getitem__(self, state: SessionState) -> V:
        found = _STEPS.get(state)
        value = None if found is None else self._pick(found)
        if value is None:
            raise KeyError(state)
        return value

    def __iter__(self) -> Iterator[SessionState]:
        return iter([s for s, declared in _STEPS.items() if self._pick(declared) is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"DerivedMapping({dict(self)!r})"


class DerivedStates(Set[SessionState]):
    """The declared states whose step satisfies a condition, always current."""

    def __init__(self, condition: Callable[[Step], bool]) -> None:
        self._condition = condition

    def __contains__(self, state: object) -> bool:
        found = _STEPS.get(state) if isinstance(state, SessionState) else None
        return found is not None and self._condition(found)

    def __iter__(self) -> Iterator[SessionState]:
        return iter([s for s, declared in _STEPS.items() if self._condition(declared)])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __hash__(self) -> int:
        return hash(frozenset(self))

    def __repr__(self) -> str:
        return f"DerivedStates({set(self)!r})"


S = SessionState
S.ATTRACT = S.declare("attract")
S.LANGUAGE = S.declare("language")
S.INSERT_CARD = S.declare("insert_card")
S.READING = S.declare("reading")
S.PIN = S.declare("pin")
S.VERIFYING = S.declare("verifying")
S.CHOOSE_DOCUMENTS = S.declare("choose_documents")
S.SUMMARY = S.declare("summary")
S.PAYMENT = S.declare("payment")
S.ISSUING = S.declare("issuing")
S.REVERSING = S.declare("reversing")
S.TAKE_DOCUMENTS = S.declare("take_documents")
S.REMOVE_CARD = S.declare("remove_card")
S.ERROR = S.declare("error")
S.OUT_OF_SERVICE = S.declare("out_of_service")

_SCREENS = "ui.screens"
_WAIT = f"{_SCREENS}.messages:WaitScreen"

for _step in (
    Step(
        state=S.ATTRACT,
        screen=f"{_SCREENS}.attract:AttractScreen",
        prompt_key="attract.prompt",
        forward=frozenset({S.LANGUAGE}),
    ),
    Step(
        state=S.LANGUAGE,
        screen=f"{_SCREENS}.language:LanguageScreen",
        prompt_key="language.prompt",
        timeout_s=60.0,
        forward=frozenset({S.INSERT_CARD, S.READING, S.REMOVE_CARD}),
    ),
    Step(
        state=S.INSERT_CARD,
        screen=f"{_SCREENS}.messages:InsertCardScreen",
        prompt_key="insert_card.prompt",
        timeout_s=60.0,
        forward=frozenset({S.READING, S.LANGUAGE, S.REMOVE_CARD}),
    ),
    Step(
        state=S.READING,
        screen=_WAIT,
        prompt_key="reading.prompt",
        forward=frozenset({S.PIN, S.REMOVE_CARD}),
    ),
    Step(
        state=S.PIN,
        screen=f"{_SCREENS}.pin:PinScreen",
        prompt_key="pin.prompt",
        timeout_s=60.0,
        personal_data=True,
        forward=frozenset({S.VERIFYING, S.REMOVE_CARD}),
    ),
    Step(
        state=S.VERIFYING,
        screen=_WAIT,
        prompt_key="verifying.prompt",
        personal_data=True,
        forward=frozenset({S.PIN, S.CHOOSE_DOCUMENTS, S.REMOVE_CARD}),
    ),
    Step(
        state=S.CHOOSE_DOCUMENTS,
        screen=f"{_SCREENS}.documents:DocumentsScreen",
        prompt_key="documents.prompt",
        timeout_s=90.0,
        personal_data=True,
        forward=frozenset({S.SUMMARY, S.REMOVE_CARD}),
    ),
    Step(
        state=S.SUMMARY,
        screen=f"{_SCREENS}.summary:SummaryScreen",
        prompt_key="summary.prompt",
        timeout_s=90.0,
        personal_data=True,
        forward=frozenset({S.CHOOSE_DOCUMENTS, S.PAYMENT, S.ISSUING, S.REMOVE_CARD}),
    ),
    Step(
        state=S.PAYMENT,
        screen=f"{_SCREENS}.messages:PaymentScreen",
        prompt_key="payment.prompt",
        personal_data=True,
        forward=frozenset({S.ISSUING, S.SUMMARY}),
    ),
    Step(
        state=S.ISSUING,
        screen=f"{_SCREENS}.messages:IssuingScreen",
        prompt_key="issuing.prompt",
        personal_data=True,
        committed=True,
        forward=frozenset({S.TAKE_DOCUMENTS, S.REVERSING}),
    ),
    Step(
        state=S.REVERSING,
        screen=_WAIT,
        prompt_key="reversing.prompt",
        personal_data=True,
        committed=True,
    ),
    Step(
        state=S.TAKE_DOCUMENTS,
        screen=f"{_SCREENS}.messages:TakeDocumentsScreen",
        prompt_key="take_documents.prompt",
        timeout_s=60.0,
        forward=frozenset({S.REMOVE_CARD}),
    ),
    Step(
        state=S.REMOVE_CARD,
        screen=f"{_SCREENS}.messages:RemoveCardScreen",
        prompt_key="remove_card.prompt",
        timeout_s=30.0,
    ),
    Step(
        state=S.ERROR,
        screen=f"{_SCREENS}.error:ErrorScreen",
        prompt_key="error.title",
        timeout_s=60.0,
        forward=frozenset({S.READING, S.SUMMARY, S.REMOVE_CARD}),
    ),
    Step(
        state=S.OUT_OF_SERVICE,
        screen=f"{_SCREENS}.out_of_service:OutOfServiceScreen",
        prompt_key="out_of_service.prompt",
        forward=frozenset({S.ATTRACT}),
    ),
):
    declare_step(_step)

PROMPT_KEYS: Mapping[SessionState, str] = DerivedMapping(lambda s: s.prompt_key)
DEFAULT_TIMEOUTS_S: Mapping[SessionState, float] = DerivedMapping(lambda s: s.timeout_s)
PERSONAL_DATA_STATES: Set[SessionState] = DerivedStates(lambda s: s.personal_data)
COMMITTED_STATES: Set[SessionState] = DerivedStates(lambda s: s.committed)
INTERACTIVE_STATES: Set[SessionState] = DerivedStates(lambda s: s.timeout_s is not None)
"""States the resident interacts with: an inactivity time-out applies to them."""
