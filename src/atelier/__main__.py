"""``atelier`` with no arguments opens the window; ``atelier COMMAND ...`` runs the CLI."""

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return gui_main()
    from .cli import main as cli_main

    return cli_main(argv)


def gui_main() -> int:
    from .ui.app import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
