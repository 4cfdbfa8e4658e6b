"""Coaching-quality auditor for field coaching reports (FCRs)."""

__version__ = "0.1.0"
