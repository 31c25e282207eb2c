# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator of the Incoplax web-sessions REST API, for tests of the incoplax.platform collection.

Run it with ``python -m incoplax_emulator --help``; see ../README.md.
"""

__version__ = '1.0.0'
