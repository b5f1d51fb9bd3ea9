"""Fleet management, kiosk side: what the central learns (heartbeat), the configuration it
distributes (pulled with ETag, validated, applied between residents, kept on disk) and the
commands it queues (executed once, between residents, results reported until acknowledged)."""
