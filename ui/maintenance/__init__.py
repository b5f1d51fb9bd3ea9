"""The maintenance mode's screens for staff (services in `kiosk.maintenance`)."""
