"""Pure numpy core of labelaudit: no files, no pandas, no printing."""
