"""My requests: the resident's newest earlier documents, one panel each ("Household composition —
12/03/2026", then "Code 7KQ2-… · Demo-sur-Meuse"), or a line saying there are none; Back returns
to the document choice. The list is personal data: it is shown on this step only
(`kiosk.flows.my_requests`)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.flows.my_requests import SHOWN, row_parts
from kiosk.journey import JourneyController, JourneyView
from ui.layout import Fit
from ui.screens.base import Screen
from ui.screens.messages import panel
from ui.theme import label


class MyRequestsScreen(Screen):
    """Up to `SHOWN` panels, filled from the view."""

    def __init__(self, controller: JourneyController, *, parent: QWidget | None = None) -> None:
        super().__init__(controller, back=True, parent=parent)
        self.empty = label("lead", parent=self)
        self.body.addWidget(self.empty)
        self.rows: list[tuple[QWidget, QLabel, QLabel]] = []
        for _ in range(SHOWN):
            frame, box = panel(self)
            title = label("section", parent=frame)
            detail = label("muted", parent=frame)
            box.addWidget(title)
            box.addWidget(detail)
            self.body.addWidget(frame)
            self.rows.append((frame, title, detail))
        self.capacity = SHOWN
        self.more = label("muted", parent=self)
        self.body.addWidget(self.more)
        self.body.addStretch(1)

    def fit_body(self, fit: Fit) -> None:
        """As many panels as the screen holds: all on a portrait screen, fewer on a short one or
        in large text (the rest is "and older ones")."""
        room = SHOWN if not fit.short else 3
        self.capacity = room if fit.text_scale == 1.0 else max(2, room // 2)
        for frame, _title, _detail in self.rows:
            layout = frame.layout()
            if isinstance(layout, QVBoxLayout):
                layout.setSpacing(2 if fit.short else 6)
                margin = 12 if fit.short else 24
                layout.setContentsMargins(32, margin, 32, margin)

    def render_body(self, view: JourneyView) -> None:
        earlier = view.earlier
        self.empty.setText(self.t("my_requests.none"))
        self.empty.setVisible(not earlier)
        for i, (frame, title, detail) in enumerate(self.rows):
            if i >= min(len(earlier), self.capacity):
                frame.hide()
                continue
            first, second = row_parts(earlier[i], view.language)
            title.setText(first)
            detail.setText(second)
            detail.setVisible(bool(second))
            frame.setAccessibleName(f"{first}. {second}")
            frame.show()
        self.more.setText(self.t("my_requests.more"))
        self.more.setVisible(view.earlier_more or len(earlier) > self.capacity)
