"""The hostile-input tests reuse the journey's rig (pcscd + vpcd, the ZVT simulator, SoftHSM2,
cupsd and the central server on loopback)."""

from tests.journey.conftest import base_config, rig, stack, var_dir

__all__ = ["base_config", "rig", "stack", "var_dir"]
