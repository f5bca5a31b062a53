#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds programs outside the tree
# against it, as a user would: with pkg-config, and with find_package(msgr CONFIG).
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/msgr-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build_dir" --prefix "$prefix" >/dev/null
for f in include/msgr/msgr.h include/msgr/ui.h lib/libmsgr.so lib/pkgconfig/msgr.pc \
         lib/cmake/msgr/msgrConfig.cmake; do
  [[ -e "$prefix/$f" ]] || { echo "missing from the installed SDK: $f"; exit 1; }
done

# 1. pkg-config, exactly as the README shows it.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=c99 -Wall -Wextra -Werror "$here/consumer.c" $(pkg-config --cflags --libs msgr) -o "$work/consumer"
"$work/consumer"

# 2. CMake's find_package.
cmake -S "$here/cmake-consumer" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer_c"
echo "installed SDK works from $prefix"
