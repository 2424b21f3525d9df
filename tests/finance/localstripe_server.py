"""Start localstripe bound to 127.0.0.1 only (its own `start()` listens on every
interface). Used by the test suite's session fixture: `python -m tests.finance.localstripe_server
--port N --from-scratch`."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()
    if not args.from_scratch:
        store.try_load_from_disk()
    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
