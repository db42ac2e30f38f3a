#!/usr/bin/env bash
# Regenerate the brief's test data with the installed povsim: a `povsim compare` of the shipped
# baseline, Hubei pilot and full package scenarios, and a `povsim run` of the Hubei pilot, in the
# small world of the scenario files here (4 villages in 2 counties, 1,200 persons, 11 years,
# MODA every 5 years), 2 replicates.  The MODA tables the brief does not read (distribution,
# overlaps, patterns, income overlap) stay: the manifest seals the folder with checksums.
set -euo pipefail
cd "$(dirname "$0")"
export MPLBACKEND=Agg
rm -rf compare run
povsim compare baseline.toml hubei_pilot.toml full_package.toml --replicates 2 --seed 3 --out compare --no-figures -q
povsim run hubei_pilot.toml --replicates 2 --seed 3 --out run --no-figures -q
: # every table is kept: the manifest seals the folder (checksums), so none may be removed
du -sh --apparent-size compare run
