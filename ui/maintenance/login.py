"""The staff login of the maintenance mode: the one-time code, or the staff member's own eID.

The same overlay as the staff door's code login, with one more button: "my eID card" switches the
field to the card's PIN (never shown, never kept: it goes to the card as a bytearray that the
card adapter wipes). While the login is open the journey is held out of service, so a staff card
does not start a resident's session.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtWidgets import QWidget

from kiosk.i18n import translate
from kiosk.maintenance.service import MaintenanceService
from kiosk.maintenance.staff_card import CardLogin, CardLoginResult
from kiosk.staff_auth import LoginResult
from ui.bridge import QtPoster
from ui.staff_door import StaffLogin
from ui.theme import action_button, set_role, set_text


class MaintenanceLogin(StaffLogin):
    def __init__(
        self,
        service: MaintenanceService,
        *,
        language: Callable[[], str],
        on_accepted: Callable[[], None],
        parent: QWidget,
    ) -> None:
        self.service = service
        self._card_mode = False
        self._checking = False
        super().__init__(
            _CodeOnly(service), language=language, on_accepted=on_accepted, parent=parent
        )
        self._poster = QtPoster(self)
        self.card = action_button("staff_card", self.toggle_card, parent=self, role="secondary")
        set_role(self.card, "secondary")
        self.card.setVisible(service.card_login_available)
        box = self.layout()
        if box is not None:
            box.addWidget(self.card)

    @property
    def card_mode(self) -> bool:
        return self._card_mode

    def open_login(self) -> None:
        self.service.hold()
        self._card_mode = False
        self._checking = False
        super().open_login()
        self._label_card()

    def close_login(self) -> None:
        super().close_login()
        self.service.release()

    def toggle_card(self) -> None:
        self._card_mode = not self._card_mode
        self.code.clear()
        self._label_card()

    def _label_card(self) -> None:
        lang = self._language()
        if self._card_mode:
            self.message.setText(translate("staff.login.card_prompt", lang))
            self.message.show()
            self.code.setPlaceholderText(translate("staff.login.pin", lang))
            set_text(self.card, translate("staff.login.code", lang))
        else:
            self.code.setPlaceholderText(translate("staff.login.code", lang))
            set_text(self.card, translate("staff.login.card", lang))

    def _submit(self, action: Callable[[], None], *, audited: str) -> None:
        if not self._card_mode:
            super()._submit(action, audited=audited)
            return
        if self._checking:
            return
        pin = bytearray(self.code.text().encode("ascii", "ignore"))
        self.code.clear()
        self._checking = True
        self.message.setText(translate("staff.card.checking", self._language()))
        self.message.show()
        future = self.service.login_card(pin)
        future.add_done_callback(lambda f: self._poster.post(lambda: self._card_checked(f, action)))

    def _card_checked(self, future: Future[CardLogin], action: Callable[[], None]) -> None:
        self._checking = False
        login = future.result()
        self.service.card_login_done(login)
        if login.result is CardLoginResult.ACCEPTED:
            self.hide()
            action()
            return
        lang = self._language()
        tries = "-" if login.tries_left is None else str(login.tries_left)
        self.message.setText(translate(f"staff.card.{login.result.value}", lang, tries=tries))
        self.message.show()


class _CodeOnly:
    """The code check as `StaffLogin` calls it: through the service, which audits and opens."""

    def __init__(self, service: MaintenanceService) -> None:
        self._service = service

    def login(self, code: str) -> LoginResult:
        return self._service.login_code(code)

    def record_action(self, action: str) -> None:
        """Nothing more to write: `login_code` has audited the login and the mode it opens."""
        del action
