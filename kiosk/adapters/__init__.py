"""Real implementations of the journey's ports, each running its device on its own runner thread."""
