"""The fleet web console: operators sign in, see the kiosks and decide on enrollments."""
