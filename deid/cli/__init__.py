"""The ``deid`` command line (see :mod:`deid.cli.main`)."""
