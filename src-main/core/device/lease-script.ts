/**
 * The device's operation lease, on the device: `~/.tally/lease/lock` is an `flock` held by a small holder
 * process, and `~/.tally/lease/info` beside it says who holds it (`key=value` lines). A second console, or one
 * that restarted, reads the same files. Because the kernel drops an flock with its process, a holder that died
 * leaves only its `info` behind: the next holder finds it, reports it as broken, and takes over.
 *
 * The holder speaks in `@` lines on stdout:
 *   @held <pid>            it holds the lease (pid: the flock process, the one to kill to break it)
 *   @broken / @was <k=v>   the previous holder died without letting go; its description follows
 *   @interrupt <text>      an emergency VPU reset asks the holder to stop at a safe point
 *   @released | @expired | @orphaned   how it ended (expired: no heartbeat; orphaned: its flock was killed)
 *   @busy reset            a VPU reset is taking the device over; ordinary operations stand back
 * A console-held lease is kept alive by lines on the holder's stdin (a heartbeat) and ends on `release`, on end of
 * input, or when no line came for EXPIRE seconds (a silently dead link). A job-held lease ends with the job.
 */
import { sh, type ShellCommand } from './quote.js';

/** Where the lease lives on the device, as a shell word (expanded there). */
export const LEASE_DIR = sh`"$HOME"/.tally/lease`;

/** Exit code of an acquire that found the lease held (flock's conflict code). */
export const LEASE_BUSY = 75;
/** Exit code of an acquire that stood back for a VPU reset taking the device over. */
export const LEASE_RESET_PENDING = 76;

// Arguments: id mode(console|job) watch-pid expire-s prio(normal|reset) info-text. Trusted program text.
const HOLDER = `ID=$1 MODE=$2 WATCH=$3 EXPIRE=$4 PRIO=$5 INFO=$6
D="$HOME/.tally/lease"
FP=$PPID
if [ "$PRIO" != reset ] && [ -s "$D/interrupt" ]; then printf '@busy reset\\n'; exit ${LEASE_RESET_PENDING}; fi
if [ -s "$D/info" ]; then printf '@broken\\n'; sed 's/^/@was /' "$D/info"; fi
{ printf '%s\\n' "$INFO"; printf 'pid=%s\\n' "$FP"; } > "$D/info.$ID" && mv -f "$D/info.$ID" "$D/info"
rm -f "$D/interrupt"
printf '@held %s\\n' "$FP"
B="$D/beat.$ID"; : > "$B"; R=
if [ "$MODE" = console ]; then
  # A background list reads /dev/null unless told otherwise: give it the channel's input as fd 3.
  exec 3<&0
  ( while IFS= read -r l <&3; do [ "$l" = release ] && break; : > "$B"; done; rm -f "$B" ) &
  R=$!
fi
told=; end=released
while :; do
  if ! kill -0 "$FP" 2>/dev/null; then end=orphaned; break; fi
  if [ "$MODE" = console ]; then
    m=$(stat -c %Y "$B" 2>/dev/null) || break
    if [ $(( $(date +%s) - m )) -gt "$EXPIRE" ]; then end=expired; break; fi
  elif ! kill -0 "$WATCH" 2>/dev/null || [ -f "$D/release.$ID" ]; then break
  fi
  if [ -z "$told" ] && [ -s "$D/interrupt" ]; then
    told=1; printf '@interrupt %s\\n' "$(head -c 400 "$D/interrupt" | tr '\\n' ' ')"
  fi
  sleep 0.5
done
[ -n "$R" ] && kill "$R" 2>/dev/null
rm -f "$B" "$D/release.$ID"
if [ "$end" != orphaned ] && grep -qx "id=$ID" "$D/info" 2>/dev/null; then rm -f "$D/info"; fi
printf '@%s\\n' "$end"`;

/**
 * Take the lease for a console-run operation: the holder stays attached to this command's channel. Waits at
 * most a second for the lock (a reader may hold it that long); when it is held, prints `@busy` and the holder's
 * description as `@holder k=v` lines and exits LEASE_BUSY.
 */
export function acquireCommand(id: string, info: string, expireS: number): ShellCommand {
  return sh`D=${LEASE_DIR}; mkdir -p "$D" || exit 70
flock -o -w 1 -E ${LEASE_BUSY} "$D/lock" sh -c ${HOLDER} lease-holder ${id} console 0 ${expireS} normal ${info}
rc=$?
if [ "$rc" -eq ${LEASE_BUSY} ]; then printf '@busy\\n'; sed 's/^/@holder /' "$D/info" 2>/dev/null; fi
exit "$rc"`;
}

/** Who holds the lease now: `@holder k=v` lines, after `@stale` when its holder is gone. Takes nothing. */
export const READ_LEASE = sh`D=${LEASE_DIR}; [ -s "$D/info" ] || exit 0
if flock -n "$D/lock" true 2>/dev/null; then printf '@stale\\n'; fi
sed 's/^/@holder /' "$D/info"`;

/**
 * Shell functions for a detached job that takes the lease itself (the VPU reset), to put above its program:
 *   lease_take <id> <info> <interrupt text, or empty> <wait s>   0 held; 75 held by another; else could not
 *   lease_release <id>                                           let go now (else it goes when the job ends)
 *   lease_field <key>                                            a field of the current holder's description
 * While waiting it asks the holder to stop (the interrupt text); the holder it took over from, if it had died,
 * is in "$LD/take.<id>" as `@was` lines.
 */
export const LEASE_JOB_FUNCTIONS = sh`LEASE_HOLDER=${HOLDER}
LD=${LEASE_DIR}
lease_field() { sed -n "s/^$1=//p" "$LD/info" 2>/dev/null | head -n 1; }
lease_held() { ! flock -n "$LD/lock" true 2>/dev/null; }
lease_release() {
  grep -qx "id=$1" "$LD/info" 2>/dev/null || return 0
  : > "$LD/release.$1"; n=0
  while grep -qx "id=$1" "$LD/info" 2>/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
}
lease_take() {
  mkdir -p "$LD"
  [ -n "$3" ] && printf '%s\\n' "$3" > "$LD/interrupt"
  rm -f "$LD/take.$1"
  ( flock -o -w "$4" -E ${LEASE_BUSY} "$LD/lock" sh -c "$LEASE_HOLDER" lease-holder "$1" job $$ 0 reset "$2" \\
      > "$LD/take.$1" 2>&1 < /dev/null; echo "rc $?" >> "$LD/take.$1" ) &
  while :; do
    grep -q '^@held' "$LD/take.$1" 2>/dev/null && return 0
    r=$(sed -n 's/^rc //p' "$LD/take.$1" 2>/dev/null)
    [ -n "$r" ] && { rm -f "$LD/interrupt"; return "$r"; }
    sleep 0.1
  done
}
`;

/** One line of a description: no line breaks or control characters, at most 300 characters. */
export function leaseValue(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
}

/** `key=value` lines from `@holder`/`@was` lines (or plain ones). */
export function parseLeaseFields(lines: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!(key in fields)) fields[key] = line.slice(eq + 1);
  }
  return fields;
}
