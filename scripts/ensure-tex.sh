#!/bin/sh
# Install the Debian TeX packages the PDF needs, when they are missing and apt is usable.
# Without them `entwined report` still writes the .tex and exits non-zero with this command.
PKGS="latexmk texlive-latex-base texlive-latex-recommended texlive-pictures texlive-fonts-recommended lmodern poppler-utils"
if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 \
   && kpsewhich pgfplots.sty >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    echo "installing TeX: $PKGS" >&2
    $SUDO apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PKGS >/dev/null && exit 0
    echo "ensure-tex: apt-get install failed" >&2
  fi
fi
echo "ensure-tex: TeX is missing and could not be installed here; install it with:" >&2
echo "  apt-get install -y $PKGS" >&2
exit 0
