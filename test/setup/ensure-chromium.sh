#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser (Playwright) suites.
# Playwright is pointed at this binary through executablePath; its own browser
# download (`npx playwright install`) cannot reach its servers from here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/setup/apt-install.sh
source "$here/apt-install.sh"

# The GUI speaks Simplified Chinese too; without a CJK font its screenshots show boxes.
if ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then
  apt_install fonts-wqy-microhei || echo "chromium: no CJK font (fonts-wqy-microhei); Chinese text renders as boxes"
fi

if ! command -v chromium >/dev/null; then
  echo "chromium: not found; installing Debian's chromium"
  started=$SECONDS
  # fonts-liberation is only a recommend of chromium, but without a proper
  # font set page text renders as boxes in screenshots.
  apt_install chromium fonts-liberation
  echo "chromium: installed in $((SECONDS - started))s"
fi

echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
