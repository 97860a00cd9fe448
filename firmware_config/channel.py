#!/usr/bin/env python3
"""The neighbourhood's private Meshtastic channel: make it, read it, put it into a radio profile.

A thin entry point for volunteers working from a checkout; the code lives in ``hub/mesh/channel.py``
(``hub radio provision`` uses the same functions). Run ``python3 firmware_config/channel.py -h``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.mesh.channel import *  # noqa: E402,F403  (re-exported for the tool and its tests)
from hub.mesh.channel import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
