"""`python -m vgdocs`: the command line (see vgdocs.cli)."""

from vgdocs.cli import main

raise SystemExit(main())
