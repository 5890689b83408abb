"""One module per command's own code (argument handling, output, exit status)."""
