"""ZVT payment terminal simulator on a pseudo-terminal."""

from hardware.simulators.zvt.faults import Scenario, SimTiming
from hardware.simulators.zvt.simulator import TerminalSimulator

__all__ = ["Scenario", "SimTiming", "TerminalSimulator"]
