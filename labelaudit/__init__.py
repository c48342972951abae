"""labelaudit: audit the labels of a classification dataset with confident learning."""

__version__ = "0.1.0"
