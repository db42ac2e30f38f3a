#!/usr/bin/env bash
# Regenerate the virtual-trial results folder of the brief's and the dashboard's tests
# (tests/data/trial/trial) with the installed povsim: `povsim trial small.toml`, no figures
# (`povsim report` and the dashboard draw them from the tables).
set -euo pipefail
cd "$(dirname "$0")"
export MPLBACKEND=Agg
rm -rf trial
povsim trial small.toml --out trial --no-figures -q
du -sh --apparent-size trial
