"""Kernels: new kernels from bundles or archives, and the kernels Airlock lists.

What an environment holds is ``..environments``' concern."""
