#!/usr/bin/env bash
# Smoke test of the built bundle, using only its own executable (no venv, no checkout on the path):
#   0. no torch, onnxruntime, test tools or Qt translations in it;
#   1. `cnnviz --version` prints cnnviz/__init__.py's version;
#   2. headless training on Shapes for 300 steps, compiling numba's kernels into a fresh, empty
#      cache (and forcing numba's OpenMP layer, so a missing omppool/libgomp fails here), well
#      above chance (1/8) at the end, and the kernels cached in that folder;
#   3. the app starts offscreen as on a first start (another empty cache: the engine compiles
#      behind the open window), its main window paints, shows its first snapshot and quits cleanly.
# Every step has a timeout and its exit code is checked. Usage: smoke_test_bundle.sh [BUNDLE_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${1:-$root/dist/bundle/cnnviz}"
exe="$(cd "$bundle" 2>/dev/null && pwd)/cnnviz"
[ -x "$exe" ] || { echo "smoke test: no bundle executable in $bundle" >&2; exit 1; }
want="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$root/cnnviz/__init__.py")"

# A scratch home: nothing read from or written to the user's config and caches, and no checkout or
# venv reachable from the current directory or PYTHONPATH.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home"
run() {  # run SECONDS ARGS...: the bundle in the scratch home, killed after SECONDS
    local seconds="$1"; shift
    (cd "$scratch" && env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV HOME="$scratch/home" \
        XDG_CONFIG_HOME="$scratch/home/.config" XDG_CACHE_HOME="$scratch/home/.cache" \
        NUMBA_CACHE_DIR="$scratch/${cache:-numba}" QT_QPA_PLATFORM=offscreen \
        timeout --kill-after=10 "$seconds" "$exe" "$@")
}
seconds_since() { local ms=$(( ($(date +%s%N) - $1) / 1000000 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
step() { printf '%s ... ' "$1"; started=$(date +%s%N); }
passed() { echo "ok ($(seconds_since "$started") s)"; }
total_start=$(date +%s%N)

step "0. nothing the spec excludes in the bundle"
unwanted="$(cd "$bundle/_internal" && ls -d torch* onnxruntime* pytest* _pytest hypothesis* tkinter \
    PySide6/Qt/translations 2>/dev/null || true)"
[ -z "$unwanted" ] || { echo "FAILED: the bundle holds" $unwanted; exit 1; }
passed

step "1. cnnviz --version"
version="$(run 60 --version)"
[ "$version" = "cnnviz $want" ] || { echo "FAILED: printed '$version', expected 'cnnviz $want'"; exit 1; }
passed

step "2. cnnviz train (Shapes, 300 steps, empty numba cache, OpenMP layer)"
if ! NUMBA_THREADING_LAYER=omp run 600 train --dataset shapes --arch shapes-small --epochs 1 \
        --train-limit 19200 --batch-size 64 --seed 0 > "$scratch/train.log" 2>&1; then
    echo "FAILED:"; tail -20 "$scratch/train.log"; exit 1
fi
accuracy="$(sed -n 's/^test accuracy: \([0-9.]*\)$/\1/p' "$scratch/train.log")"
if [ -z "$accuracy" ] || ! awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.4) }'; then
    echo "FAILED: test accuracy '${accuracy}' (chance is 0.125, expected at least 0.4):"
    tail -5 "$scratch/train.log"; exit 1
fi
cached="$(find "$scratch/numba" -name '*.nbi' 2>/dev/null | wc -l)"
[ "$cached" -gt 0 ] || { echo "FAILED: numba cached nothing in NUMBA_CACHE_DIR"; exit 1; }
if [ -d "$scratch/home/.cache/numba" ]; then
    echo "FAILED: numba cached in ~/.cache/numba, not NUMBA_CACHE_DIR"; exit 1
fi
passed
echo "   test accuracy $accuracy, $cached kernels cached; $(grep '^done in' "$scratch/train.log")"

step "3. cnnviz --smoke-test-gui (offscreen, empty numba cache)"
if ! cache=numba-gui run 600 --smoke-test-gui > "$scratch/gui.log" 2>&1; then
    echo "FAILED:"; tail -20 "$scratch/gui.log"; exit 1
fi
passed
echo "bundle smoke test passed in $(seconds_since "$total_start") s"
