"""The journey's flows: each drives one part of an order through the ports.

Flows import the ports, `kiosk.flows.steps` and `kiosk.records`; never the journey or the UI.
"""
