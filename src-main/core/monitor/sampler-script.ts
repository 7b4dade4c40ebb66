/**
 * The device side of the 1 Hz sampler: one long-lived remote process that streams a block of lines per tick
 * (VPU session files, CPU, memory, thermal zones, load). sampler-parse.ts reads it.
 *
 * Shape on the device: a POSIX sh loop that only globs and sleeps (`printf` and `[` are builtins, so a tick costs
 * one fork, the `sleep`), piped into one long-lived awk (mawk 1.3.4 on the R58: no gawk features) that reads every
 * file itself with `getline`, keeps the per-process CPU bookkeeping between ticks and prints a compact block.
 * The session file is root-only (debugfs), so the whole sampler runs under `sudo -n` when that works without a
 * password; one sudo at start is far cheaper than one per tick. Otherwise it runs as the login user and says why.
 *
 * Output, version 1 (one record per line; a line's first word is its kind; text fields run to the line's end):
 *
 *   tally-sampler 1                 header, always first
 *   pid <pid> <pgid>                the root of the remote process tree and its process group (to stop it:
 *                                   `kill -TERM -<pgid>`, through sudo when `priv root`)
 *   priv root | priv user <why>     whether sudo worked; <why> is sudo's own message when it did not
 *   tick <n>                        a tick starts
 *   cpu <total> <idle> <cores>      /proc/stat: jiffies of user..steal summed over all cores, idle+iowait, cores
 *   mem <totalKiB> <availableKiB>   /proc/meminfo MemTotal, MemAvailable
 *   load <1m> <5m> <15m>            /proc/loadavg
 *   zone <millidegrees> <type>      one per readable /sys/class/thermal/thermal_zone*
 *   vpu <group> <state> <path>      every VPU candidate: ok, denied, missing or unreadable (exists, read failed);
 *                                   <group> is the probe's place in the list (a glob gives several paths); the
 *                                   first group with a readable file is used, all its readable files are sent
 *   vfile <path>                    a VPU file read this tick, its content follows as `|<line>` lines…
 *   vsame                           …or: the files read this tick are the same as the last ones sent
 *   name <pid> <tgid> <comm>        for each pid the VPU files name: its process (tgid) and that process's comm
 *   proc <pid> <ticks> <comm>       top processes by utime+stime jiffies since the last tick (none on the first)
 *   end                             the tick is complete
 *
 * Ticks are the interval apart plus the tick's own work (about 1 ms of CPU with 20 processes, 3 ms with 140 on an
 * x86 core). Do not sample the VPU files much faster: on some BSP kernels a read of sessions-summary that races a
 * session closing has oopsed in rkvenc_dump_session (seen at 50 ms under constant open/close churn).
 */
import { remotePath, sh, UnsafeValueError, type ShellCommand } from '../device/quote.js';

export const SAMPLER_FORMAT = 1;

export interface SamplerOptions {
  intervalMs: number;
  /** VPU files to probe, in order; the first one that can be read is used. A `*` in a path is a glob. */
  vpuFiles: readonly string[];
  /** How many processes each tick lists (default 5). */
  topN?: number;
}

/** The profile's default probe order (seed 002; newer BSP kernels). */
export const DEFAULT_VPU_FILES: readonly string[] = [
  '/sys/kernel/debug/mpp_service/session',
  '/proc/mpp_service/sessions-summary',
];

/**
 * Probed after the configured files: newer BSP kernels list every encoder session in each core's `sessions-info`.
 * Only a fallback, as those tables have neither pids nor decoders.
 */
export const PER_CORE_SESSION_INFO = '/proc/mpp_service/*/sessions-info';

/** The awk half: reads the files the loop names, keeps per-process CPU state, prints one block per `E`. */
export const SAMPLER_AWK = String.raw`
function slurp(f,   line, s, r) {
  s = ""; r = (getline line < f)
  if (r < 0) { close(f); return "\001" }
  while (r > 0) { s = s line "\n"; r = (getline line < f) }
  close(f); return s
}
function first(f,   line) {
  line = ""
  if ((getline line < f) <= 0) line = ""
  close(f); return line
}
function o(line) { out = out line "\n" }
BEGIN {
  top = top + 0; if (top < 1) top = 5
  st = first("/proc/" shpid "/stat"); pg = ""
  if (match(st, /\)[^)]*$/)) { split(substr(st, RSTART + 2), a, " "); pg = a[3] }
  pv = ENVIRON["TALLY_SAMPLER_PRIV"]; gsub(/[\r\n]+/, " ", pv)
  printf "tally-sampler 1\npid %s %s\npriv %s\n", shpid, pg, pv
  fflush(); ticks = 0; np = 0; nz = 0; nv = 0; lastkey = ""
}
$1 == "P" { statf[++np] = substr($0, 3); next }
$1 == "Z" { zonef[++nz] = substr($0, 3); next }
$1 == "V" { vgrp[++nv] = $2; vst[nv] = $3; vpath[nv] = substr($0, length($1 $2 $3) + 4); next }
$1 == "E" { tick(); np = 0; nz = 0; nv = 0; next }
function tick(   f, line, a, n, i, tot, idle, cores, mt, ma, t, ty, s, o1, c, r, p, comm, key, d, nt, j, chosen, body, nf, k, v) {
  out = ""
  o("tick " ++ticks)
  f = "/proc/stat"; cores = 0; tot = 0; idle = 0
  while ((getline line < f) > 0) {
    if (line ~ /^cpu /) { n = split(line, a, " "); for (i = 2; i <= 9 && i <= n; i++) tot += a[i]; idle = a[5] + a[6] }
    else if (line ~ /^cpu[0-9]/) cores++
    else break
  }
  close(f)
  o(sprintf("cpu %.0f %.0f %d", tot, idle, cores))
  f = "/proc/meminfo"; mt = ""; ma = ""
  while ((getline line < f) > 0) {
    if (line ~ /^MemTotal:/) { split(line, a, " "); mt = a[2] }
    else if (line ~ /^MemAvailable:/) { split(line, a, " "); ma = a[2]; break }
  }
  close(f)
  if (mt != "" && ma != "") o("mem " mt " " ma)
  n = split(first("/proc/loadavg"), a, " ")
  if (n >= 3) o("load " a[1] " " a[2] " " a[3])
  for (i = 1; i <= nz; i++) {
    t = first(zonef[i] "/temp")
    if (t !~ /^-?[0-9]+$/) continue
    ty = first(zonef[i] "/type"); if (ty == "") { ty = zonef[i]; sub(/.*\//, "", ty) }
    o("zone " t " " ty)
  }
  split("", cur); split("", cname); nt = 0
  for (i = 1; i <= top; i++) { tp[i] = ""; td[i] = 0; tc[i] = "" }
  for (i = 1; i <= np; i++) {
    s = slurp(statf[i])
    o1 = index(s, "(")
    if (s == "\001" || o1 < 2 || !match(s, /\)[^)]*$/)) continue
    c = RSTART
    p = substr(s, 1, o1 - 2)
    comm = substr(s, o1 + 1, c - o1 - 1); gsub(/[\n\r]/, " ", comm)
    split(substr(s, c + 2), r, " ")
    # utime and stime are fields 14 and 15 of /proc/<pid>/stat, starttime 22 (r[1] is field 3). The key is
    # pid and starttime, so a reused pid counts as a new process.
    t = r[12] + r[13]; key = p " " r[20]
    cur[key] = t; cname[p] = comm
    if (!(key in prev)) continue
    d = t - prev[key]
    if (d <= 0 || (nt == top && d <= td[top])) continue
    j = (nt < top) ? ++nt : top
    while (j > 1 && td[j - 1] < d) { td[j] = td[j - 1]; tp[j] = tp[j - 1]; tc[j] = tc[j - 1]; j-- }
    td[j] = d; tp[j] = p; tc[j] = comm
  }
  split("", prev); for (k in cur) prev[k] = cur[k]
  chosen = ""; nf = 0; key = ""
  for (i = 1; i <= nv; i++) {
    if (vst[i] != "ok" || (chosen != "" && vgrp[i] != chosen)) continue
    body = slurp(vpath[i])
    if (body == "\001") { vst[i] = "unreadable"; continue }
    chosen = vgrp[i]; fp[++nf] = vpath[i]; fb[nf] = body; key = key vpath[i] "\n" body "\001"
  }
  for (i = 1; i <= nv; i++) o("vpu " vgrp[i] " " vst[i] " " vpath[i])
  if (nf > 0 && key == lastkey) o("vsame")
  else for (i = 1; i <= nf; i++) {
    o("vfile " fp[i])
    n = split(fb[i], a, "\n")
    for (j = 1; j < n; j++) o("|" a[j])
  }
  lastkey = (nf > 0) ? key : ""
  split("", want)
  for (i = 1; i <= nf; i++) {
    s = fb[i]
    while (match(s, /pid[=: ]+[0-9]+/)) {
      v = substr(s, RSTART, RLENGTH); gsub(/[^0-9]/, "", v); want[v] = 1
      s = substr(s, RSTART + RLENGTH)
    }
  }
  for (v in want) {
    if (v in cname) { o("name " v " " v " " cname[v]); continue }
    # A thread id (the driver records the thread that opened the session): name its process.
    s = slurp("/proc/" v "/status"); if (s == "\001") continue
    t = ""; ty = ""
    n = split(s, a, "\n")
    for (j = 1; j <= n; j++) {
      if (a[j] ~ /^Tgid:/) { t = a[j]; gsub(/[^0-9]/, "", t) }
      else if (a[j] ~ /^Name:/) { ty = a[j]; sub(/^Name:[ \t]*/, "", ty) }
    }
    if (t in cname) ty = cname[t]
    if (t != "") o("name " v " " t " " ty)
  }
  for (i = 1; i <= nt; i++) o("proc " tp[i] " " td[i] " " tc[i])
  printf "%send\n", out
  fflush()
}
`;

/**
 * The loop: $1 is the awk program, $2 "root" or "user", $3 sudo's message, $4 the interval in seconds, $5 top N,
 * the rest the VPU candidates. Only builtins run per tick, apart from `sleep`.
 */
export const SAMPLER_LOOP = String.raw`a=$1; priv=$2; why=$3; iv=$4; top=$5; shift 5
if [ "$priv" = root ]; then TALLY_SAMPLER_PRIV=root; else TALLY_SAMPLER_PRIV="user $why"; fi
export TALLY_SAMPLER_PRIV
# mawk waits for a full buffer on a pipe unless -W interactive; other awks may refuse the option.
wi=; if awk -W interactive 'BEGIN { exit 0 }' </dev/null >/dev/null 2>&1; then wi=1; fi
IFS='
'
while :; do
  printf 'P %s\n' /proc/[0-9]*/stat
  printf 'Z %s\n' /sys/class/thermal/thermal_zone*
  g=0
  for c in "$@"; do
    g=$((g + 1))
    for f in $c; do
      if [ -r "$f" ]; then s=ok
      elif [ -e "$f" ]; then s=denied
      else
        s=missing; d=$f
        while case $d in */*) true ;; *) false ;; esac; do
          d=${'$'}{d%/*}
          if [ -d "${'$'}{d:-/}" ]; then [ -x "${'$'}{d:-/}" ] || s=denied; break; fi
        done
      fi
      printf 'V %s %s %s\n' "$g" "$s" "$f"
    done
  done
  echo E
  sleep "$iv" || exit 1
done | if [ -n "$wi" ]; then exec awk -W interactive -v shpid=$$ -v top="$top" "$a"
       else exec awk -v shpid=$$ -v top="$top" "$a"; fi`;

function seconds(intervalMs: number): string {
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 3_600_000)
    throw new RangeError(
      `The sampling interval must be a whole number of ms from 100 to 3600000, got ${intervalMs}.`,
    );
  return (intervalMs / 1000).toFixed(3).replace(/\.?0+$/, '');
}

function vpuPath(value: string): string {
  if (!remotePath(value).startsWith('/'))
    throw new UnsafeValueError('VPU file', value, 'use an absolute path');
  return value;
}

/**
 * The command for ConnectionManager.exec. It runs until the channel closes (its next write fails) or it is
 * signalled; stdout is the stream above, stderr stays empty unless something is badly wrong.
 */
export function samplerCommand(opts: SamplerOptions): ShellCommand {
  const topN = opts.topN ?? 5;
  if (!Number.isInteger(topN) || topN < 1 || topN > 100)
    throw new RangeError(`topN must be a whole number from 1 to 100, got ${topN}.`);
  const files = [...opts.vpuFiles.map(vpuPath), PER_CORE_SESSION_INFO];
  const args = [seconds(opts.intervalMs), topN, ...files];
  // `sudo -n sh -c :` is the same kind of call as the real one, so a rule that allows only some commands
  // is found out here rather than after exec.
  return sh`s=${SAMPLER_LOOP}; a=${SAMPLER_AWK}; set -- ${args}; if e=$(sudo -n sh -c : 2>&1); then exec sudo -n sh -c "$s" tally-sampler "$a" root '' "$@"; fi; exec sh -c "$s" tally-sampler "$a" user "$e" "$@"`;
}
