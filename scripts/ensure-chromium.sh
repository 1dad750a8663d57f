#!/usr/bin/env bash
# The browser tests drive Debian's chromium (never a downloaded browser build).
# On a fresh machine of this project's kind we are root with apt: install it,
# with CJK fonts so screenshots show Chinese instead of boxes.
set -euo pipefail
# (grep -c, not -q: -q stops reading early and pipefail would count fc-list's SIGPIPE as a failure)
if [ -x /usr/bin/chromium ] && [ "$(fc-list 2>/dev/null | grep -ci 'noto.*cjk')" -gt 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium and fonts-noto-cjk for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "The browser tests need Debian's chromium at /usr/bin/chromium and CJK fonts:" >&2
  echo "  sudo apt-get install -y chromium fonts-noto-cjk" >&2
  exit 1
fi
