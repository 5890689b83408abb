"""Each ``kiosk`` subcommand's own code (argument handling, terminal output, prompts).

``kiosk.cli`` parses the arguments and hands them here; the domain modules (``config``,
``journal``, ...) stay free of printing, prompting and ``argparse``.
"""
