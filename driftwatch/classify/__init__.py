"""Security-impact classification of vendor changes (spaCy rules + a trained textcat).

``classify(title, body)`` returns the categories, a severity derived from them
by explainable rules, and the phrases that decided it.
"""

from .lexicon import CATEGORIES
from .model import Classifier, classify, default_classifier

__all__ = ["CATEGORIES", "Classifier", "classify", "default_classifier"]
