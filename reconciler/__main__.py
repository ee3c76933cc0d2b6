"""`python -m reconciler` runs the command line."""

from reconciler.entry import main

main()
