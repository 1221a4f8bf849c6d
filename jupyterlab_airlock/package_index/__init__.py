"""The artifact source's packages, as plans, the served index and the conda channel read
them: ``index`` (``PackageIndex``: snapshots, kept a while), ``files`` (a package file and
the manifest's word on it; the walk of a whole source), ``prefixes`` (a folder per
project), and the static index the scanner writes (``layout``, its documents, the reader
that checks them, the loader that reads only the pages a plan needs). The DMZ's side writes
the static index (``..bundle.index_writer``)."""
