/**
 * Seed 000's three stability tests (a timed encode to a file, a sustained encode, an RTSP push to MediaMTX), which
 * it could not run over a link that kept dropping, as one detached job on the device. It holds the device's lease,
 * stops the recorder first (recordings with EOS through the recorder API) and starts it again afterwards when it was
 * running, pass or fail. The first fault ends the run: exactly the pipeline it started is killed (its PID, never by
 * name), and the result is written as a git note on the qualified commit, as the login user (the repo stays its).
 *
 * It speaks `@` lines (qualify-report.ts reads them):
 *   @begin <ms> <job>          @kernel <uname -r>          @recorder before|after <state>        @say <text>
 *   @test <n> begin <ms> <sessions before|->     @test <n> end passed|failed|skipped <ms> <reason…>
 *   @sample <n> <atMs> <cpu%|-> <temp m°C|-> <sessions|->                 @mem <n> start|end <kB>
 *   @kline <n> <line>          @fault <n> <line>           @rate <n> <frames> <elapsed ms>
 *   @probe <n> <codec|-> <duration s|-> <frames|-> <tool…>                 @mtx <n> <online|offline> <bytes|->
 *   @note written|failed|none <sha|-> <text…>                @busy <holder>          @outcome <o> <ms> <summary…>
 * Exit: 0 passed, 1 failed qualification, 2 refused (nothing changed).
 */
import type { R58Profile } from '../device/profile.js';
import { VPU_HEALTH_FAULTS } from '../device/kernel-faults.js';
import { LEASE_JOB_FUNCTIONS } from '../device/lease-script.js';
import { AS_ROOT, commitId, remotePath, sh, unitName, type ShellCommand } from '../device/quote.js';

export const QUALIFY_EXIT = { passed: 0, failed: 1, refused: 2 } as const;

export interface QualifyTestInput {
  /** gst-launch-1.0 argv (without the program), built by the pipeline builder. */
  pipeline: string[];
  durationS: number;
  /** Frames the source sends (the test's length at the input rate). */
  frames: number;
  /** The file Test 1/2 write (probed afterwards), or null. */
  file: string | null;
  /** The MediaMTX path Test 3 pushes to, read back through its API; null for the others. */
  mtxPath: string | null;
}

export interface QualifyScriptInput {
  jobId: string;
  profile: R58Profile;
  sessionFile: string;
  inputFps: number;
  tests: [QualifyTestInput, QualifyTestInput, QualifyTestInput];
  /** Where the test files go (removed at the end). */
  workDir: string;
  /** Recordings to stop with EOS before the recorder stops. */
  recordings: boolean;
  /** The commit to write the result on as a git note, or null (kept in the console's data directory only). */
  noteCommit: string | null;
  /** The note's fixed fields, as JSON text without the closing brace: `{"schema":1,"commit":…,"variant":…`. */
  noteHead: string;
  leaseInfo: string;
}

// Trusted program text; values arrive as shell variables set above it.
const BODY = sh`
now() { date +%s%3N; }
emit() { printf '@%s\\n' "$*"; }
say() { emit say "$*"; }
g() { git -c safe.directory="$REPO" -c user.name=Tally -c user.email=tally@localhost -C "$REPO" "$@"; }
sessions() { x=$(asroot cat "$VPU" 2>/dev/null) || return 0; printf '%s\n' "$x" | grep -c '^session'; return 0; }
klines() { asroot dmesg 2>/dev/null | wc -l; }
knew() { asroot dmesg 2>/dev/null | tail -n +$((K0 + 1)); }
cpu_read() { awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6; exit }' /proc/stat; }
temp_max() { m=""; for z in /sys/class/thermal/thermal_zone*/temp; do [ -r "$z" ] || continue; v=$(cat "$z" 2>/dev/null) || continue; case $v in ''|*[!0-9-]*) continue;; esac; if [ -z "$m" ] || [ "$v" -gt "$m" ]; then m=$v; fi; done; echo "\${m:--}"; }
rss() { awk '/^VmRSS:/{ print $2; exit }' "/proc/$1/status" 2>/dev/null; }
mtx_get() { curl -s --max-time 2 "http://$MTXHOST:$MTXAPI/v3/paths/get/$1"; }
mtx_bytes() { mtx_get "$1" | grep -o '"\\(inboundBytes\\|bytesReceived\\)": *[0-9]*' | head -n 1 | tr -dc '0-9'; }
mtx_online() { mtx_get "$1" | grep -q '"\\(online\\|ready\\)": *true' && echo online || echo offline; }
jesc() { printf '%s' "$1" | tr -d '\\000-\\037' | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g'; }
# Kill exactly the pipeline this job started: SIGINT (gst-launch -e sends EOS), SIGTERM, then SIGKILL.
stop_pid() {
  kill -INT "$1" 2>/dev/null; i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
  kill -TERM "$1" 2>/dev/null; i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$1" 2>/dev/null && say "Pipeline $1 did not stop; sent SIGKILL."
}
probe() {
  n=$1; f=$2
  if [ ! -s "$f" ]; then emit probe "$n" - - - "no output file"; return 1; fi
  if command -v ffprobe >/dev/null 2>&1; then
    out=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=codec_name,nb_read_frames:format=duration -of default=nw=1 "$f" < /dev/null 2>/dev/null)
    c=$(echo "$out" | sed -n 's/^codec_name=//p' | head -n 1); fr=$(echo "$out" | sed -n 's/^nb_read_frames=//p' | head -n 1)
    d=$(echo "$out" | sed -n 's/^duration=//p' | head -n 1)
    emit probe "$n" "\${c:--}" "\${d:--}" "\${fr:--}" ffprobe
  elif command -v gst-discoverer-1.0 >/dev/null 2>&1; then
    out=$(gst-discoverer-1.0 "$f" < /dev/null 2>&1)
    c=$(echo "$out" | sed -n 's/^ *video: *//p' | head -n 1 | tr ' ' '_')
    d=$(echo "$out" | awk -F': ' '/Duration:/ {split($2, a, ":"); print a[1]*3600 + a[2]*60 + a[3]; exit}')
    emit probe "$n" "\${c:--}" "\${d:--}" - gst-discoverer-1.0
  else
    emit probe "$n" - - - "neither ffprobe nor gst-discoverer-1.0 is installed on the device"
  fi
  return 0
}
# run_test <n> <seconds> <frames> <file|-> <mtx path|->: runs pipe<n>; sets WHY when it fails.
run_test() {
  n=$1; secs=$2; frames=$3; file=$4; path=$5; WHY=""
  K0=$(klines); S0=$(sessions)
  emit test "$n" begin "$(now)" "\${S0:--}"
  set -- $(cpu_read); CT=$1; CI=$2
  t0=$(now)
  "pipe$n" > "$TMPD/gst.$n" 2>&1 &
  PID=$!; PIDS="$PIDS $PID"
  mlast=""; pushed=""
  limit=$(( secs * 2000 + 20000 )); bfirst=""; blast=""; seen=offline
  # The path's bytes before the push are the baseline, unless the counter started again for the new publisher.
  b0=0; if [ "$path" != - ]; then b0=$(mtx_bytes "$path"); b0=\${b0:-0}; fi
  while kill -0 "$PID" 2>/dev/null; do
    sleep 1
    el=$(( $(now) - t0 ))
    set -- $(cpu_read); dt=$(( $1 - CT )); di=$(( $2 - CI )); CT=$1; CI=$2
    c=-; [ "$dt" -gt 0 ] && c=$(( (dt - di) * 100 / dt ))
    v=$(sessions); emit sample "$n" "$el" "$c" "$(temp_max)" "\${v:--}"
    # Memory at the start is read once the pipeline runs (after its first second), not while it loads.
    m=$(rss "$PID"); if [ -n "$m" ]; then [ -z "$mlast" ] && emit mem "$n" start "$m"; mlast=$m; fi
    if [ "$path" != - ]; then
      b=$(mtx_bytes "$path"); o=$(mtx_online "$path"); emit mtx "$n" "$o" "\${b:--}"
      [ "$o" = online ] && seen=online; [ -n "$b" ] && blast=$b; [ -z "$bfirst" ] && bfirst=$b
    fi
    f=$(knew | grep -E "$FAULTS" | head -n 1)
    if [ -n "$f" ]; then WHY="kernel fault: $f"; stop_pid "$PID"; break; fi
    # An emergency VPU reset asks for the device: stop this pipeline and leave the recorder to the reset.
    if [ -s "$LD/interrupt" ]; then WHY=interrupted; stop_pid "$PID"; break; fi
    # rtspclientsink does not always end on EOS once its buffers are sent: the push is judged by MediaMTX, so
    # a push still running 3 s after its length is stopped (EOS, then signals) rather than counted as a hang.
    if [ "$path" != - ] && [ "$el" -gt $(( secs * 1000 + 3000 )) ]; then pushed=stopped; stop_pid "$PID"; break; fi
    if [ "$el" -gt "$limit" ]; then WHY="the pipeline did not finish within $((limit / 1000)) s"; stop_pid "$PID"; break; fi
  done
  wait "$PID"; rc=$?
  [ -n "$pushed" ] && [ -z "$WHY" ] && rc=0
  [ -n "$mlast" ] && emit mem "$n" end "$mlast"
  # The Oops of a bad encoder comes a moment after it opens: look once more before judging.
  sleep 1
  knew | head -n 40 | while IFS= read -r l; do
    if echo "$l" | grep -qE "$FAULTS"; then emit fault "$n" "$l"; else emit kline "$n" "$l"; fi
  done
  if [ -z "$WHY" ]; then f=$(knew | grep -E "$FAULTS" | head -n 1); [ -n "$f" ] && WHY="kernel fault: $f"; fi
  ended=$(sed -n 's/.*Execution ended after \\([0-9]*\\):\\([0-9]*\\):\\([0-9]*\\)\\.\\([0-9][0-9][0-9]\\).*/\\1 \\2 \\3 \\4/p' "$TMPD/gst.$n" | tail -n 1)
  # awk, not $(( )): "02" and "028" are octal (or invalid) to the shell, decimal to awk.
  if [ -n "$pushed" ]; then ems=0
  elif [ -n "$ended" ]; then ems=$(echo "$ended" | awk '{ print ($1 * 3600 + $2 * 60 + $3) * 1000 + $4 }'); else ems=$(( $(now) - t0 )); fi
  if [ -z "$WHY" ] && [ "$rc" -ne 0 ]; then WHY="gst-launch-1.0 exited with $rc: $(grep -v '^$' "$TMPD/gst.$n" | tail -n 2 | tr '\\n' ' ' | cut -c1-300)"; fi
  [ "$rc" -eq 0 ] && [ "$ems" -gt 0 ] && emit rate "$n" "$frames" "$ems"
  if [ "$file" != - ]; then probe "$n" "$file"; fi
  if [ -z "$WHY" ] && [ "$rc" -eq 0 ] && [ "$ems" -gt 0 ] && [ $(( frames * 1000 * 100 / ems )) -lt $(( FPS * 90 )) ]; then
    WHY="the encoder does not keep up: $frames frames in $ems ms, under 90 % of the input's $FPS fps"
  fi
  if [ -z "$WHY" ] && [ "$path" != - ]; then
    [ -n "$bfirst" ] && [ "$bfirst" -lt "$b0" ] && b0=0
    if [ "$seen" != online ]; then WHY="MediaMTX never reported the path $path online during the push"
    elif [ -z "$blast" ] || [ "$blast" -le "$b0" ]; then WHY="MediaMTX did not report the path $path taking in bytes ($b0 before the push, \${blast:-none} during it)"; fi
  fi
  PIDS=""
  if [ -n "$WHY" ]; then emit test "$n" end failed "$(now)" "$WHY"; return 1; fi
  emit test "$n" end passed "$(now)"
  EVID="$EVID Test $n $secs s: $frames frames in $ems ms, kernel clean;"
  return 0
}
restore() {
  [ -n "$PIDS" ] && for p in $PIDS; do stop_pid "$p"; done
  PIDS=""
  rm -rf "$WORK"
  if [ "$WAS" = active ]; then
    asroot systemctl start "$RECORDER" 2>&1 | while IFS= read -r l; do say "$l"; done
    say "Started $RECORDER again, as it was before."
  fi
  emit recorder after "$(systemctl is-active "$RECORDER" 2>/dev/null)"
}
note() {
  verdict=$1; reason=$2
  if [ -z "$NOTE_COMMIT" ]; then emit note none - "This config is not a commit of the recorder repo: the result is kept in the console's data directory only."; return; fi
  r=null; [ -n "$reason" ] && r="\\"$(jesc "$reason")\\""
  json="$NOTE_HEAD,\\"kernel\\":\\"$(jesc "$KERNEL")\\",\\"date\\":\\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\\",\\"verdict\\":\\"$verdict\\",\\"reason\\":$r,\\"evidence\\":\\"$(jesc "$(echo "$EVID" | cut -c1-3900)")\\"}"
  if out=$(g notes --ref=refs/notes/tally-qualify append -m "$json" "$NOTE_COMMIT" 2>&1); then
    emit note written "$NOTE_COMMIT" "Kept as a git note under refs/notes/tally-qualify on $(echo "$NOTE_COMMIT" | cut -c1-7)."
  else
    emit note failed "$NOTE_COMMIT" "Could not write the git note: $(echo "$out" | tr '\\n' ' ' | cut -c1-300)"
  fi
}
finish() {
  restore
  case $1 in passed) note pass "";; failed) note fail "$2";; esac
  emit outcome "$1" "$(now)" "$3"
  case $1 in passed) exit 0;; refused) exit 2;; *) exit 1;; esac
}

emit begin "$(now)" "$JOB"
TMPD=$(mktemp -d) || exit 1
PIDS=""; WAS=""; EVID=""
trap 'lease_release "$JOB"; rm -rf "$TMPD"' EXIT
if ! lease_take "$JOB" "$LEASE_INFO" "" 2; then emit busy "$(lease_field what)"; emit outcome refused "$(now)" "Another operation holds the device: $(lease_field what). Nothing was changed."; exit 2; fi
trap 'restore; emit outcome failed "$(now)" "Stopped by a signal; the recorder was restored."; exit 1' INT TERM HUP
KERNEL=$(uname -r); emit kernel "$KERNEL"
mkdir -p "$WORK" || finish refused "" "Cannot make the work directory $WORK. Nothing was changed."
WAS=$(systemctl is-active "$RECORDER" 2>/dev/null); emit recorder before "\${WAS:-unknown}"
if [ "$RECS" = yes ]; then
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 30 "http://127.0.0.1:$API/record/stop")
  say "Recordings stopped with EOS through the recorder API (HTTP $code), so their files are finalised."
fi
if [ "$WAS" = active ]; then
  asroot systemctl stop "$RECORDER" 2>&1 | while IFS= read -r l; do say "$l"; done
  say "Stopped $RECORDER for the tests; it starts again at the end."
fi
for n in 1 2 3; do
  eval "secs=\\$SECS$n frames=\\$FRAMES$n file=\\$FILE$n path=\\$MTXPATH$n"
  if ! run_test "$n" "$secs" "$frames" "\${file:--}" "\${path:--}"; then
    for k in 1 2 3; do [ "$k" -gt "$n" ] && emit test "$k" end skipped "$(now)"; done
    if [ "$WHY" = interrupted ]; then
      WAS=""; restore
      emit outcome interrupted "$(now)" "Interrupted in Test $n by $(head -c 200 "$LD/interrupt"): no verdict was written, and the recorder is left to the reset."
      exit 6
    fi
    EVID="$EVID Test $n failed: $WHY"
    finish failed "Test $n: $WHY" "Failed Test $n: $WHY"
  fi
done
finish passed "" "Passed all three tests."
`;

function testVars(n: number, t: QualifyTestInput): ShellCommand {
  return sh`SECS${String(n)}=${t.durationS}
FRAMES${String(n)}=${t.frames}
FILE${String(n)}=${t.file ? remotePath(t.file) : ''}
MTXPATH${String(n)}=${t.mtxPath ?? ''}
pipe${String(n)}() { exec gst-launch-1.0 -e ${t.pipeline}; }`;
}

export function qualifyScript(input: QualifyScriptInput): ShellCommand {
  const { profile } = input;
  const [t1, t2, t3] = input.tests;
  return sh`JOB=${input.jobId}
REPO=${remotePath(profile.repo.path)}
WORK=${remotePath(input.workDir)}
RECORDER=${unitName(profile.units.recorder)}
API=${profile.recorderApi.port}
MTXHOST=${profile.mediamtx.apiHost}
MTXAPI=${profile.mediamtx.apiPort}
VPU=${remotePath(input.sessionFile)}
FPS=${input.inputFps}
RECS=${input.recordings ? 'yes' : 'no'}
NOTE_COMMIT=${input.noteCommit ? commitId(input.noteCommit) : ''}
NOTE_HEAD=${input.noteHead}
FAULTS=${VPU_HEALTH_FAULTS}
LEASE_INFO=${input.leaseInfo}
${testVars(1, t1)}
${testVars(2, t2)}
${testVars(3, t3)}
${AS_ROOT}
${LEASE_JOB_FUNCTIONS}
${BODY}`;
}
