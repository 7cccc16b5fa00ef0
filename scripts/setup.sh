#!/usr/bin/env bash
# Installs what Anima needs on a Debian machine, idempotently: Debian packages that are missing,
# the npm packages when package-lock.json changed, and the TypeScript build when sources changed.
# Safe to run on every `npm test` / `npm run demo`; a second run does almost nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the engines and tests use. Kept in one list; see README "Set-up".
# python3-httpx and python3-websockets: the Python client suite in test/interop/.
# chromium (driven by playwright-core) plays the live page; nginx with libnginx-mod-rtmp is the
# RTMP ingest the live tests push to (started by the tests, never as a service). postgresql: the
# server the Postgres store's tests start in a scratch directory (its system cluster is not used);
# redis-server: the BullMQ queue's, started the same way.
DEBIAN_PACKAGES=(ffmpeg espeak-ng libespeak-ng1 festival festvox-us-slt-hts festvox-kallpc16k pocketsphinx pocketsphinx-en-us libpocketsphinx3 libsphinxbase3 fonts-wqy-microhei python3-httpx python3-websockets chromium nginx libnginx-mod-rtmp postgresql redis-server)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/anima-apt.log 2>&1; then
    "${sudo_cmd[@]}" apt-get update >>/tmp/anima-apt.log 2>&1
    "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/anima-apt.log 2>&1 || {
      echo "setup: apt-get failed, see /tmp/anima-apt.log" >&2
      tail -20 /tmp/anima-apt.log >&2
      exit 1
    }
  fi
fi

# npm packages: reinstall only when the lock file differs from what was installed.
# onnxruntime-node's postinstall fetches CUDA libraries from NuGet; its CPU runtime is in the npm
# package itself, and nothing may be fetched from outside the npm registry.
export ONNXRUNTIME_NODE_INSTALL=skip
if ! cmp -s package-lock.json node_modules/.anima-installed-lock 2>/dev/null; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.anima-installed-lock
fi

# Build: only when a TypeScript source is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src sdk test bench tsconfig.json -newer "$stamp" -name '*.ts' -o -newer "$stamp" -name 'tsconfig.json' 2>/dev/null | head -1)" ]; then
  echo "setup: building"
  npx tsc -p tsconfig.json
  touch "$stamp"
fi
