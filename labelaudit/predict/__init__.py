"""Out-of-fold predicted probabilities for ``labelaudit predict`` (DESIGN.md section 3.4).

- :mod:`~labelaudit.predict.models`: the model registry (short names or importable classifier
  paths) and ``--model-params``;
- :mod:`~labelaudit.predict.features`: feature selection and preprocessing (numeric,
  categorical, text);
- :mod:`~labelaudit.predict.cross_validation`: stratified K-fold cross-validation that gives
  every row probabilities from a model that never saw it.

No printing and no file I/O here: the pipeline reads and writes through ``io``. scikit-learn is
imported inside the functions that use it.
"""

from labelaudit.predict.cross_validation import (
    check_class_sizes,
    encode_labels,
    out_of_fold_probabilities,
)
from labelaudit.predict.features import (
    MAX_CATEGORIES,
    MAX_UNIQUE_FRACTION,
    TEXT_MAX_FEATURES,
    FeatureSelection,
    build_preprocessor,
    prepare_features,
    select_features,
)
from labelaudit.predict.models import MODELS, ModelChoice, build_model, parse_model_params

__all__ = [
    "MAX_CATEGORIES",
    "MAX_UNIQUE_FRACTION",
    "MODELS",
    "TEXT_MAX_FEATURES",
    "FeatureSelection",
    "ModelChoice",
    "build_model",
    "build_preprocessor",
    "check_class_sizes",
    "encode_labels",
    "out_of_fold_probabilities",
    "parse_model_params",
    "prepare_features",
    "select_features",
]
