"""The maintenance mode's services for staff: login, roles, diagnostics and actions (no Qt)."""
