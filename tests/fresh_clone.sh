#!/usr/bin/env bash
# A fresh clone passes on its own: clone this repository's HEAD into a temporary directory with
# nothing beside it (no ../shared) and run `make test` there.
#
#   bash tests/fresh_clone.sh                    # the clone builds its own .venv (pip install)
#   REUSE_VENV=.venv bash tests/fresh_clone.sh   # borrows that venv's installed dependencies
#
# With REUSE_VENV the clone still gets a venv of its own: its site-packages name the borrowed
# venv's site-packages (dependencies only: a path in a .pth file does not run that directory's
# own .pth files, so the borrowed editable install of this checkout is not loaded) and the clone
# itself. The clone's patrol package is what is tested: checked here before the run, and inside
# it by tests/test_pure_packages.py.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/patrol-fresh.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
clone="$tmp/patrol"

if [ -n "$(git -C "$here" status --porcelain --untracked-files=no)" ]; then
  echo "fresh_clone: uncommitted changes are not in the clone (it tests HEAD)" >&2
fi
git clone --quiet --no-hardlinks "$here" "$clone"
if [ -e "$tmp/shared" ]; then
  echo "fresh_clone: $tmp/shared exists; the clone must stand alone" >&2
  exit 1
fi

if [ -n "${REUSE_VENV:-}" ]; then
  reuse="$(cd "$here" && cd "$REUSE_VENV" && pwd)"
  "$reuse/bin/python" -m venv --without-pip "$clone/.venv"
  purelib='import sysconfig; print(sysconfig.get_paths()["purelib"])'
  site="$("$clone/.venv/bin/python" -c "$purelib")"
  printf '%s\n' "$clone" >"$site/00-patrol-clone.pth"
  "$reuse/bin/python" -c "$purelib" >"$site/01-borrowed-dependencies.pth"
  printf '#!/bin/sh\nexec "%s" -m pytest "$@"\n' "$clone/.venv/bin/python" >"$clone/.venv/bin/pytest"
  chmod +x "$clone/.venv/bin/pytest"
  # pybabel compiles the clone's catalogs (make translations): the borrowed Babel, run as a module.
  printf '#!/bin/sh\nexec "%s" -m babel.messages.frontend "$@"\n' "$clone/.venv/bin/python" >"$clone/.venv/bin/pybabel"
  chmod +x "$clone/.venv/bin/pybabel"
  # The console script `patrol` (pyproject's [project.scripts]) for the tests that run it as a
  # process: the clone's package, run by the clone's Python.
  printf '#!/bin/sh\nexec "%s" -c "import sys; from patrol.cli import cli; sys.exit(cli.main(prog_name=\\"patrol\\"))" "$@"\n' "$clone/.venv/bin/python" >"$clone/.venv/bin/patrol"
  chmod +x "$clone/.venv/bin/patrol"
  ln -s "$reuse/bin/ruff" "$clone/.venv/bin/ruff"  # a standalone binary
  touch "$clone/.venv/.installed"  # newer than pyproject.toml: make installs nothing
  got="$(cd "$tmp" && "$clone/.venv/bin/python" -c 'import os, patrol; print(os.path.dirname(patrol.__file__))')"
  if [ "$got" != "$clone/patrol" ]; then
    echo "fresh_clone: patrol imports from $got, not from the clone" >&2
    exit 1
  fi
fi

echo "fresh_clone: make test in $clone ($(git -C "$clone" rev-parse --short HEAD), no ../shared)"
cd "$clone"
set +e
make test 2>&1 | tee "$tmp/make-test.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then
  skipped="$(grep -c 'external corpus .* is absent' "$tmp/make-test.log" || true)"
  echo "fresh_clone: passed; the shared-corpus tests were skipped (${skipped} skip line(s))"
fi
exit "$status"
