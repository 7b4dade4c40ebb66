#!/bin/sh
# systemctl, journalctl, dmesg and uname on the emulated R58: this one script is installed under each of those
# names in /usr/local/bin, and the device daemon does the work (src-main/emulator/README.md, "Device commands").
#
# The daemon's reply starts with one line "<exit code> <stderr line count> <done|stream>", then those stderr lines,
# then stdout. "stream" (journalctl -f, dmesg -w) means: the arguments are fine, now ask again with stream=1 and
# copy the stream until interrupted; curl then runs in place of this shell, so Ctrl-C and SIGTERM reach it.
name=${0##*/}
sock=/run/tally-emu/daemon.sock
n=$#
for a in "$@"; do
  set -- "$@" --data-urlencode "a=$a"
done
shift "$n"
set -- -s -G --unix-socket "$sock" --data-urlencode "uid=$(id -u)" "$@" "http://device/cmd/$name"
curl "$@" | {
  if ! IFS=' ' read -r code nerr mode; then
    echo "$name: the emulated device's daemon does not answer on $sock" >&2
    exit 1
  fi
  while [ "$nerr" -gt 0 ]; do
    IFS= read -r line
    printf '%s\n' "$line" >&2
    nerr=$((nerr - 1))
  done
  [ "$mode" = stream ] && exit 250
  cat
  exit "$code"
}
rc=$?
[ "$rc" -eq 250 ] || exit "$rc"
exec curl -N "$@" --data-urlencode stream=1
