"""Workspace posture: the settings catalogue, the baseline of controls, evaluation and drift."""

from .catalogue import Control, Setting, load_baseline, load_catalogue
from .evaluate import ControlResult, evaluate
from .drift import Drift, compare

__all__ = ["Control", "ControlResult", "Drift", "Setting", "compare", "evaluate", "load_baseline", "load_catalogue"]
