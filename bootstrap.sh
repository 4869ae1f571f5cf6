#!/usr/bin/env bash
# Set up everything the cockpit needs, then run it. The two commands of the README:
#
#   ./bootstrap.sh demo [cockpit demo options]   # the offline demo wall
#   ./bootstrap.sh test [pytest options]         # the test suite (add -m "not slow" for a quick run)
#
# Also: ./bootstrap.sh setup (install only), ./bootstrap.sh cockpit ARGS (any cockpit command).
#
# What it installs, each step only when missing:
#   * Debian packages (apt-get; sudo when not root): a CJK font (fonts-noto-cjk) when no font
#     with Chinese is installed, the X11 libraries Qt's xcb plugin loads on a desktop, and for
#     the tests Mosquitto (the feeds' and the multi-PC wall's broker) and Chromium (the control
#     page's browser);
#   * a virtual environment in .venv with the project and its test tools (pip install -e .[test]),
#     redone when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.bootstrap-stamp"

say() { printf '\033[1;36m[bootstrap]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

debian_packages() {
    command -v apt-get >/dev/null 2>&1 || { say "no apt-get: install a CJK font and Qt's X11 libraries yourself"; return 0; }
    local wanted=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
                  libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1 libxkbcommon-x11-0
                  libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libnss3 libxcomposite1
                  libxdamage1 libxrandr2 libxtst6 libxkbfile1 fontconfig chromium
                  libgbm1 libxcb-dri3-0 "libasound2|libasound2t64")  # the last three: QtWebEngine (the map)
    if ! { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; }; then
        wanted+=(fonts-noto-cjk)
    fi
    # The MQTT tests start a real broker; a mosquitto already on the PATH will do.
    command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || wanted+=(mosquitto)
    # "a|b": names that differ between releases (Debian 13 renamed libasound2); one will do.
    local missing=() entry alt found
    for entry in "${wanted[@]}"; do
        found=""
        for alt in ${entry//|/ }; do
            dpkg-query -W -f='${Status}' "$alt" 2>/dev/null | grep -q "ok installed" && found=1
        done
        [ -n "$found" ] || missing+=("$entry")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    # Install what this release has (the first name of an "a|b" it knows) and say what it lacks.
    local available=()
    for entry in "${missing[@]}"; do
        found=""
        for alt in ${entry//|/ }; do
            if [ -z "$found" ] && apt-cache show "$alt" >/dev/null 2>&1; then found=$alt; fi
        done
        if [ -n "$found" ]; then available+=("$found"); else say "not in this release: $entry"; fi
    done
    [ ${#available[@]} -eq 0 ] || as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null
}

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && \
           "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    say "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"; return 1
}

python_env() {
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py=$(find_python)
        say "creating $VENV with $($py --version)"
        "$py" -m venv "$VENV" || { say "venv failed: on Debian, apt-get install python3-venv"; return 1; }
    fi
    say "installing the cockpit and its dependencies into .venv"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # An editable install of this project goes through setuptools' import finder (the package-dir
    # mapping layouts/ -> cockpit.layouts needs it), and setuptools then prints a boxed notice,
    # "Editable installation ... folders with the same name as your package". That notice is
    # information, not a fault: filter it by its text; every other warning and error still shows.
    PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}ignore:Editable installation" \
        "$VENV/bin/python" -m pip install -q -e ".[test]"
    echo "$want" > "$STAMP"
}

setup() {
    debian_packages
    python_env
}

cmd=${1:-demo}
[ $# -gt 0 ] && shift
case "$cmd" in
    setup) setup ;;
    demo) setup; exec "$VENV/bin/cockpit" demo "$@" ;;
    test) setup; export QT_QPA_PLATFORM=offscreen; exec "$VENV/bin/python" -m pytest "$@" ;;
    cockpit) setup; exec "$VENV/bin/cockpit" "$@" ;;
    *) echo "usage: $0 demo|test|setup|cockpit [args]" >&2; exit 2 ;;
esac
