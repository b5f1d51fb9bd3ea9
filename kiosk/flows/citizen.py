"""The citizen services at the kiosk, composed for the controller: the sealed PDFs by e-mail
(`kiosk.flows.email`) and "my requests" (`kiosk.flows.my_requests`), both through the central."""

from __future__ import annotations

from kiosk.flows.email import EMAIL, EmailFlow
from kiosk.flows.email import offered as email_offered
from kiosk.flows.host import Host
from kiosk.flows.my_requests import MY_REQUESTS, MyRequestsFlow
from kiosk.flows.my_requests import offered as requests_offered
from kiosk.flows.steps import Post, Steps
from kiosk.ports import Ports
from kiosk.session import SessionData, SessionState
from kiosk.view import CitizenOffers


class CitizenFlows:
    """Used on the controller's thread only."""

    def __init__(self, *, ports: Ports, steps: Steps, post: Post, host: Host) -> None:
        self._ports = ports
        self.email = EmailFlow(ports=ports, steps=steps, post=post, host=host)
        self.requests = MyRequestsFlow(ports=ports, steps=steps, post=post, host=host)

    def back(self, state: SessionState) -> bool:
        """Back from one of their steps (True), or not theirs to handle (False)."""
        if state is EMAIL:
            self.email.back()
        elif state is MY_REQUESTS:
            self.requests.back()
        else:
            return False
        return True

    def offers(self, session: SessionData) -> CitizenOffers:
        return CitizenOffers(
            email=email_offered(session, mail_port=self._ports.mail is not None),
            requests=requests_offered(session, requests_port=self._ports.requests is not None),
        )
