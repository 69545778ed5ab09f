"""Dataset archives: the ``archive`` job builds a ready version's zip or tar.gz into the datasets
storage; the download view serves the finished file (never building it in the request)."""
