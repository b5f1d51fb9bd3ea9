"""One widget per session state."""
