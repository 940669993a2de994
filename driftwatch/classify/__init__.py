"""Security-impact classification of vendor changes (spaCy rules + a trained textcat).

``classify(title, body)`` returns the categories, a severity derived from them
by explainable rules, and the phrases that decided it.
"""

from ._spacy import import_spacy

import_spacy()  # before model.py's own import: without spaCy's CLI package (start-up time)

from .lexicon import CATEGORIES  # noqa: E402
from .model import Classifier, classify, default_classifier  # noqa: E402

__all__ = ["CATEGORIES", "Classifier", "classify", "default_classifier"]
