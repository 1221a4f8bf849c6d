"""Conda packages with py-rattler, at the bottom of the house: records of channels and
environments (``records``), loose packages as a local channel (``local_channel``), solving
(``solve``) and linking offline (``link``). Both the installer and the bundle sides use it."""
