"""`python -m portal.sandbox --host H --port N [--db PATH]`: the sandbox alone (as `portal sandbox`)."""

import argparse

from portal.sandbox.app import run
from portal.sandbox.config import SandboxConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--db", default="var/sandbox.sqlite3", help="the SQLite file holding its state")
    parser.add_argument("--verification-delay", type=float, default=20.0,
                        help="seconds before pending verification resolves")
    args = parser.parse_args(argv)
    run(args.host, args.port, SandboxConfig(db_path=args.db, verification_delay=args.verification_delay))


if __name__ == "__main__":
    main()
