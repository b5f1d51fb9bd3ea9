"""ZVT payment terminal simulator on a pseudo-terminal."""

from hardware.simulators.zvt.simulator import Scenario, SimTiming, TerminalSimulator

__all__ = ["Scenario", "SimTiming", "TerminalSimulator"]
