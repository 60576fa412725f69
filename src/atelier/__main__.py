"""``atelier`` opens the window; ``atelier COMMAND ...`` runs the CLI; ``atelier --selftest``
checks the installation.

Window options: ``atelier [--debug] [--quit-after SECONDS] [PROJECT.atelier]`` (a desktop
double-click on a project passes its path). ``--cli`` forces the CLI, for a launcher that
cannot tell.
"""

import argparse
import multiprocessing
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    # The engine runs in a spawned child; in a frozen app that child re-enters here first.
    multiprocessing.freeze_support()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--selftest"]:
        return _selftest(argv[1:])
    if argv[:1] == ["--cli"]:
        argv = argv[1:]
    elif _is_window_launch(argv):
        return gui_main(argv)
    from .cli import main as cli_main

    return cli_main(argv)


def _is_window_launch(argv: list[str]) -> bool:
    from .cli import COMMANDS

    return not any(arg in COMMANDS or arg in ("-h", "--help", "--version") for arg in argv)


def gui_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="atelier", description="Open the Atelier window.")
    parser.add_argument("project", nargs="?", type=Path, help="a .atelier project to open")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="close the window after SECONDS (for smoke tests)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from .ui.app import run

    return run(project=args.project, quit_after=args.quit_after, debug=args.debug)


def _selftest(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="atelier --selftest", description="Check this installation.")
    parser.add_argument("--image", type=Path, help="also write the generated PNG here")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    args = parser.parse_args(argv)
    from .selftest import run

    return run(image_out=args.image, debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
