"""Airlock's benchmarks: each one against its baseline, in the same run on the same servers.

``python -m bench`` (``make bench``) runs them all; see ``bench/__main__.py``.
"""
