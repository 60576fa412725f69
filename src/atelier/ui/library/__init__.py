"""The Model Library window: every model the scan found (parts, pickles and problems included),
searchable and filtered, with each one's details, hashes and readiness. Built when first shown."""
