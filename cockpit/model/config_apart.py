"""``python -m cockpit.model.config_apart PATH``: a site config validated in a process of its
own (:func:`cockpit.model.config.load_config_apart`), so the wall that asks never imports
pydantic. Writes one pickle to stdout: ``("ok", site, data, layouts_dir, layouts)`` — the
model dumped as plain values, the TOML as read, the layouts folder and ids — or
``("problems", [Problem, ...])``. Exit 0 either way; anything else is the caller's cue to
validate the file itself."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from cockpit.model.config import ConfigError, _validate


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m cockpit.model.config_apart PATH", file=sys.stderr)
        return 2
    try:
        answer: tuple = ("ok", *_validate(Path(argv[0])))
    except ConfigError as exc:
        answer = ("problems", exc.problems)
    sys.stdout.buffer.write(pickle.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
