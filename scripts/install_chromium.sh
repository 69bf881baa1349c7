#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/web/), once: nothing to do when
# /usr/bin/chromium exists. Playwright drives this browser; its own browser downloads
# (`playwright install`) are never used. Needs root (or sudo) and the Debian apt sources.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
sudo=""
if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
echo "installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
