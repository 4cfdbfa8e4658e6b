"""The NLP pipeline: spaCy components that read a report into Annotations (spaCy-free)."""
