#!/usr/bin/env bash
# Installs Debian's Chromium for the headless browser tests (Playwright drives it; no browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Chromium is missing: install it with 'apt-get install chromium' as root." >&2; exit 2; }
  SUDO=sudo
fi
echo "Installing Chromium (Debian package) for the staff-console browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
