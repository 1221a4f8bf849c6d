"""Whether a file may come in: checksums that travel with the files (``manifests``), who signed
them (``signatures``), the advisories known behind the gap (``advisories``), the admin's
``policy``, and SBOMs of what came in (``sbom``)."""
