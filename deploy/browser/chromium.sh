#!/usr/bin/env bash
# Debian's Chromium (and a CJK font, since the dashboard is bilingual) for the dashboard's
# browser test: headless screenshots on loopback.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi"; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
