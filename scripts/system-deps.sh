#!/usr/bin/env bash
# System libraries Atelier needs on Debian/Ubuntu: PortAudio for sound, the xcb libraries
# Qt 6 needs for a window, (for tests) Xvfb, and (for make package) binutils and zstd. Installs them as root; otherwise prints the
# exact command to run. Does nothing when everything is already installed.
set -euo pipefail

packages=(
  libportaudio2 libsndfile1
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1
  xvfb xauth
  binutils zstd
)

command -v dpkg-query >/dev/null || { echo "system-deps: not a Debian-based system; install the equivalents of: ${packages[*]}"; exit 0; }
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: missing system packages. Install them with:"
  echo "  sudo apt-get install ${missing[*]}"
  exit 1
fi
