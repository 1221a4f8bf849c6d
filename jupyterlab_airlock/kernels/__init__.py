"""Kernels: the environment behind a kernelspec, and new kernels from bundles or archives."""
