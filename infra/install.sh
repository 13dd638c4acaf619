#!/usr/bin/env bash
# Installs what Invoice Processor needs on Debian/Ubuntu: Tesseract (fra, eng, deu), Poppler and a
# Python virtualenv in .venv with the project and its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# libtesseract-dev, libleptonica-dev, pkg-config, g++ and python3-dev build tesserocr against this Tesseract.
SYSTEM_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu poppler-utils
                 python3-venv python3-pip python3-dev curl chromium chromium-driver pgbouncer
                 libtesseract-dev libleptonica-dev pkg-config g++)
missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" --version). Set PYTHON=python3.11." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# tesserocr (Tesseract in-process) is built from source against the system's Tesseract, the one the
# `tesseract` command and the reader's trained models use: PyPI's wheel bundles another Tesseract
# (5.5.4), which reads some of our scans differently (an invoice number of tests/test_pipeline_ocr.py).
export PIP_NO_BINARY=tesserocr
if [ "${INSTALL_VLM:-0}" = 1 ]; then
  # The vision-language model's packages. torch 2.13.0 is the CPU build where a local wheel exists (see
  # README); elsewhere pip picks the build for this platform, which may be several GB.
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e '.[test,vlm]'
else
  .venv/bin/python -m pip install -q -e '.[test]'
fi
echo "Installed. Run the service: .venv/bin/invoice-processor serve    Run the tests: .venv/bin/python -m pytest"
