"""Command line of the development stack.

python -m devstack sim up [--persona NAME] | sim down   # same as `python -m kiosk sim ...`
python -m devstack setup [--var DIR]                    # same as `python -m kiosk setup`
python -m devstack documents render --document household --lang nl --persona marie --out f.pdf
python -m devstack documents verify f.pdf --json
"""

from __future__ import annotations

import sys

from devstack import documents
from kiosk.__main__ import main as kiosk_main


def main(argv: list[str]) -> int:
    if argv[:1] == ["documents"]:
        return documents.main(argv[1:])
    return kiosk_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
