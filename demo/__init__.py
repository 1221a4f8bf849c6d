"""The embedded demo environment of Airlock.

Real local servers (a moto S3 server holding a seeded read bucket, a pypiserver mirror of a
few tiny wheels) that ``make demo`` runs next to JupyterLab, and that the pytest fixtures,
the Galata UI tests and the benchmarks reuse. Everything listens on 127.0.0.1 only.
"""
