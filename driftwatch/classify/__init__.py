"""Security-impact classification of vendor changes.

``classify(title, body)`` returns the categories, a severity derived from them
by explainable rules, and the phrases that decided it.
"""

from .rules import CATEGORIES, VERSION, classify

__all__ = ["CATEGORIES", "VERSION", "classify"]
