"""Borne: the self-service certificate kiosk for Belgian town halls (application core, no Qt)."""

__version__ = "0.1.0"
