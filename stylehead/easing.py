"""Easing a value into a bound: untouched up to a knee, then smoothly towards a limit it never passes."""

import numpy as np


def ease_towards(values: np.ndarray, knee: np.ndarray | float, limit: np.ndarray | float) -> np.ndarray:
    """Non-negative ``values`` left as they are up to ``knee`` and eased smoothly (tanh) towards ``limit``
    beyond: continuous, monotone, never past ``limit``."""
    room = np.maximum(np.asarray(limit, np.float64) - knee, 1e-9)
    return np.where(values > knee, knee + room * np.tanh((values - knee) / room), values)
