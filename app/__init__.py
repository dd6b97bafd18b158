"""Cunyi (村议): village self-governance — matters, votes, and the three publications."""

__version__ = "0.1.0"
