"""Local test servers that emulate vendor HTTP APIs (see base.py)."""
