#!/usr/bin/env bash
# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
# Copy the working tree to DIR/ansible_collections/incoplax/platform and print that path.
# ansible-test needs the collection inside an ansible_collections tree; a symlink is not enough.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=$1
DEST=$DIR/ansible_collections/incoplax/platform
rm -rf "$DEST"
mkdir -p "$DEST"
tar -C "$ROOT" --exclude='./.venv*' --exclude=./.ansible --exclude=./.nox --exclude=./.git --exclude=./tests/output \
    --exclude=./tests/integration/inventory --exclude='__pycache__' --exclude=./.pytest_cache \
    --exclude=./.hypothesis --exclude=./build -cf - . | tar -C "$DEST" -xf -
echo "$DEST"
