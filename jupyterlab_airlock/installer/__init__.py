"""Offline installs into a kernel's environment: plan first, then pip or conda, as jobs."""
