#!/usr/bin/env bash
# Regenerate the plan results folder of the brief's and the dashboard's tests
# (tests/data/plan/plan) with the installed povsim: `povsim plan tiny.toml`, one worker,
# no figures (`povsim report` and the dashboard draw them from the tables).  Only the
# plan itself (the sealed folder <out>/plan) is kept; the model runs it was built from
# (<out>/runs, keyspace.csv) are the planner's cache and not part of the results.
set -euo pipefail
cd "$(dirname "$0")"
export MPLBACKEND=Agg
rm -rf plan _work
povsim plan tiny.toml --out _work --workers 1 --no-figures -q
mv _work/plan plan
rm -rf _work
du -sh --apparent-size plan
