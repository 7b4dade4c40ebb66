/**
 * Seed 002's emergency VPU reset as one shell program that runs on the device as a detached job, so it finishes
 * even if the laptop loses the link halfway. It speaks in `@` lines on stdout (reset-report.ts reads them):
 *
 *   @begin <ms> <job>                       @plan rec <file> | @plan job <jobId>
 *   @step <n> begin <ms>                    @step <n> end <ok|failed|skipped> <ms> <waitedMs>
 *   @say <n> <text>                         @sessions <before|after> <count>
 *   @kill <pid> <TERM|KILL> <sessions> <name>
 *   @rec <finalised|damaged> <seconds|-> <file> [| detail]
 *   @camera <name> <online|failed|not_started> <sessions|-> <detail>
 *   @evidence <kernel line>                 @outcome <healthy|reboot_needed|failed> <ms> <summary>
 *   @refused <other job>
 *
 * Times are the device's epoch milliseconds. Every wait is a poll (100 ms) with a limit, never a fixed sleep, and
 * its time is counted as "waited on the device". Exit: 0 healthy, 1 failed, 3 reboot needed, 4 refused.
 */
import path from 'node:path';
import type { R58Profile } from '../device/profile.js';
import { KERNEL_FAULTS } from '../device/kernel-faults.js';
import { LEASE_JOB_FUNCTIONS } from '../device/lease-script.js';
import { AS_ROOT, remotePath, sh, unitName, type ShellCommand } from '../device/quote.js';
import { JOBS_DIR } from '../device/remote-jobs.js';

export interface ResetScriptInput {
  jobId: string;
  profile: R58Profile;
  /** The session file the probe found readable (falls back to the profile's list). */
  sessionFile: string | null;
  /** Files being recorded when the producer pressed the button. */
  recordings: string[];
  /** Detached jobs of pipelines this console started. */
  pipelineJobs: string[];
  /** The device's lease: the reset's own description, and whether to interrupt the operation holding it. */
  lease: {
    info: string;
    /** Asked of the holder: "the emergency VPU reset started by …"; null: refuse when the device is held. */
    interrupt: string | null;
  };
  timeouts?: Partial<ResetTimeouts>;
}

export interface ResetTimeouts {
  /** For the recorder unit and console pipelines to stop after EOS and SIGTERM from systemd. */
  stopMs: number;
  /** For sessions to close by themselves, then again after the holders were signalled. */
  drainMs: number;
  /** Sessions whose count has not changed for this long are held: stop waiting and deal with the holders. */
  stallMs: number;
  /** Between SIGTERM and SIGKILL to a process that still holds sessions. */
  termMs: number;
  /** For the media server and the recorder API to answer after a start. */
  serviceMs: number;
  /** For one camera to stream after its start. */
  cameraMs: number;
  /** How long the kernel log is watched after each camera streams (an Oops follows a bad encoder open closely). */
  watchMs: number;
  /** For an interrupted operation to stop at a safe point before its lease is broken. */
  interruptMs: number;
}

export const DEFAULT_TIMEOUTS: ResetTimeouts = {
  stopMs: 8_000,
  drainMs: 3_000,
  stallMs: 1_500,
  termMs: 2_000,
  serviceMs: 20_000,
  cameraMs: 20_000,
  watchMs: 1_000,
  interruptMs: 20_000,
};

// The program itself: trusted text written here, no interpolation. Values arrive as shell variables set above it.
const BODY = sh`
now() { date +%s%3N; }
emit() { printf '@%s\\n' "$*"; }
say() { printf '@say %s %s\\n' "$STEP" "$*"; }
W=0
# poll <limit ms> <command…>: true as soon as the command is, false at the limit; adds the time to W.
poll() {
  lim=$1; shift; t0=$(now)
  while :; do
    if "$@"; then W=$((W + $(now) - t0)); return 0; fi
    if [ $(( $(now) - t0 )) -ge "$lim" ]; then W=$((W + $(now) - t0)); return 1; fi
    sleep 0.1
  done
}
count() { asroot cat "$VPU" 2>/dev/null | grep -c '^session' || true; }
no_sessions() { [ "$(count)" -eq 0 ]; }
# Processes (thread ids resolved to their process) named in the session file, "<sessions> <pid>" per line.
holders() {
  asroot cat "$VPU" 2>/dev/null | grep -o 'pid[=: ]*[0-9][0-9]*' | tr -dc '0-9\\n' | while read -r t; do
    g=$(awk '/^Tgid:/ {print $2}' /proc/$t/status 2>/dev/null); echo "$g" | grep -q . && echo "$g" || echo "$t"
  done | sort -n | uniq -c | awk '{print $1, $2}'
}
alive() { [ -d /proc/$1 ]; }
live_holders() { holders | while read -r n p; do alive "$p" && echo "$n $p"; done; }
unit_stopped() { s=$(systemctl is-active "$1" 2>/dev/null); [ "$s" != active ] && [ "$s" != deactivating ] && [ "$s" != reloading ]; }
jobs_done() { for j in $JOBS; do [ -f "$JOBS_DIR/$j/rc" ] || return 1; done; return 0; }
all_stopped() { unit_stopped "$RECORDER" && jobs_done; }
# "Stuck": sessions still open and their count unchanged for STALL_MS — nothing more will close by waiting.
LASTC=-1; LASTT=0
stuck() {
  c=$(count); t=$(now)
  if [ "$c" != "$LASTC" ]; then LASTC=$c; LASTT=$t; return 1; fi
  [ "$c" -gt 0 ] && [ $((t - LASTT)) -ge "$STALL_MS" ]
}
stopped_or_stuck() { all_stopped && return 0; stuck; }
drained_or_stuck() { no_sessions && return 0; stuck; }
api_up() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$API/status"; }
media_up() { curl -s -o /dev/null --max-time 2 "http://$MTXHOST:$MTXAPI/v3/paths/list"; }
cam_streaming() { curl -s --max-time 2 "http://127.0.0.1:$API/status" | grep -q '"'"$1"'": *"streaming'; }
klines() { asroot dmesg 2>/dev/null | wc -l; }
knew() { asroot dmesg 2>/dev/null | tail -n +$(($1 + 1)); }
begin_step() { STEP=$1; W=0; T=$(now); emit step "$1" begin "$T"; }
end_step() { emit step "$STEP" end "$1" "$(now)" "$W"; }
finish() { emit outcome "$1" "$(now)" "$2"; case $1 in healthy) exit 0;; reboot_needed) exit 3;; *) exit 1;; esac; }
fail() { end_step failed; finish failed "$1"; }

# The device's lease: one operation at a time. Another reset is never interrupted; anything else only when asked.
if lease_held && [ "$(lease_field kind)" = vpu.reset ]; then emit refused "$(lease_field job)"; exit 4; fi
HELD_WHAT=$(lease_held && lease_field what)
HELD_WHO=$(lease_held && lease_field who)
if [ -n "$INTERRUPT" ]; then
  lease_take "$JOB" "$LEASE_INFO" "$INTERRUPT" $(( (INTERRUPT_MS + 999) / 1000 )); rc=$?
  if [ "$rc" -eq 75 ]; then
    # It did not reach a safe point in time: break its lease (its flock process), so the reset can go on.
    BROKE=$(lease_field pid); [ -n "$BROKE" ] && kill -TERM "$BROKE" 2>/dev/null
    lease_take "$JOB" "$LEASE_INFO" "" 5; rc=$?
  fi
else
  lease_take "$JOB" "$LEASE_INFO" "" 2; rc=$?
fi
if [ "$rc" -ne 0 ]; then
  if [ "$(lease_field kind)" = vpu.reset ]; then emit refused "$(lease_field job)"; else emit busy "$(lease_field what)"; fi
  exit 4
fi
trap 'lease_release "$JOB"' EXIT
emit begin "$(now)" "$JOB"
# One recording path per line: a name with spaces, globs or $(…) stays one name, as text.
recs() { printf '%s\\n' "$RECS" | while IFS= read -r f; do [ -n "$f" ] && printf '%s\\n' "$f"; done; }
recs | while IFS= read -r f; do emit plan rec "$f"; done
for j in $JOBS; do emit plan job "$j"; done

begin_step 1
if [ -n "$HELD_WHAT" ]; then
  if [ -n "$BROKE" ]; then say "Interrupted “$HELD_WHAT” ($HELD_WHO): it did not stop within $INTERRUPT_MS ms, so its lease was broken."
  else say "Interrupted “$HELD_WHAT” ($HELD_WHO): it stopped at a safe point and reverts nothing over this reset."; fi
fi
if grep -q '^@broken' "$LD/take.$JOB" 2>/dev/null && [ -z "$HELD_WHAT" ]; then
  say "Took over the lease of “$(sed -n 's/^@was what=//p' "$LD/take.$JOB" | head -n 1)”, whose holder had died."
fi
if ! asroot true 2>/dev/null; then
  say "$(id -un) cannot use sudo without a password here; the reset needs it to stop services and read the VPU sessions."
  fail "Nothing was changed: $(id -un) needs passwordless sudo on this device."
fi
SB=$(count); emit sessions before "$SB"
say "VPU sessions open: $SB."
if [ -n "$RECS" ]; then
  say "Stopping the recordings with EOS through the recorder API, so the files are finalised…"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 30 "http://127.0.0.1:$API/record/stop")
  say "The recorder API answered HTTP $code to the stop."
fi
for j in $JOBS; do
  p=$(cat "$JOBS_DIR/$j/pid" 2>/dev/null) || continue
  for q in $(pgrep -g "$p"); do [ "$q" = "$p" ] || kill -INT "$q" 2>/dev/null; done
  say "Sent EOS (SIGINT) to the console's pipeline $j."
done
say "Stopping $RECORDER (systemd sends SIGTERM; the recorder ends its cameras with EOS)…"
asroot systemctl stop --no-block "$RECORDER" 2>&1 | while read -r l; do say "$l"; done
if poll "$STOP_MS" stopped_or_stuck; then
  if all_stopped; then say "$RECORDER and the console's pipelines stopped."
  else say "$RECORDER is still $(systemctl is-active "$RECORDER" 2>/dev/null): $(count) VPU session(s) have not moved for $STALL_MS ms — their holders are dealt with next."; fi
else
  say "Still stopping after $STOP_MS ms: $(systemctl is-active "$RECORDER" 2>/dev/null) — holders of VPU sessions are dealt with next."
fi
recs | while IFS= read -r f; do
  d=""; why=""
  if command -v ffprobe >/dev/null 2>&1; then
    d=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$f" < /dev/null 2>/tmp/tally-reset-probe.$$ | head -n 1)
    why=$(head -c 300 /tmp/tally-reset-probe.$$ | tr '\\n' ' '); rm -f /tmp/tally-reset-probe.$$
  elif command -v gst-discoverer-1.0 >/dev/null 2>&1; then
    d=$(gst-discoverer-1.0 "$f" < /dev/null 2>&1 | awk -F': ' '/Duration:/ {split($2, a, ":"); print a[1]*3600 + a[2]*60 + a[3]; exit}')
  else
    why="neither ffprobe nor gst-discoverer-1.0 is installed on the device"
  fi
  case $d in
    ''|N/A|0|0.0*) emit rec damaged - "$f" "| $(echo "$why" | grep . || echo 'no duration: the file was not finalised')";;
    *) emit rec finalised "$d" "$f";;
  esac
done
end_step ok

begin_step 2
if poll "$DRAIN_MS" drained_or_stuck && no_sessions; then
  say "All VPU sessions closed by themselves."
else
  say "$(count) VPU session(s) still open and not closing."
  live_holders > /tmp/tally-reset-holders.$$
  while read -r n p; do
    name=$(cat /proc/$p/comm 2>/dev/null || echo '?')
    say "PID $p ($name) holds $n session(s): SIGTERM."
    asroot kill -TERM "$p" 2>/dev/null && emit kill "$p" TERM "$n" "$name"
  done < /tmp/tally-reset-holders.$$
  none_alive() { while read -r n p; do alive "$p" && return 1; done < /tmp/tally-reset-holders.$$; return 0; }
  if ! poll "$TERM_MS" none_alive; then
    while read -r n p; do
      alive "$p" || continue
      name=$(cat /proc/$p/comm 2>/dev/null || echo '?')
      say "PID $p ($name) ignored SIGTERM for $TERM_MS ms: SIGKILL."
      asroot kill -KILL "$p" 2>/dev/null && emit kill "$p" KILL "$n" "$name"
    done < /tmp/tally-reset-holders.$$
  fi
  rm -f /tmp/tally-reset-holders.$$
  if poll "$DRAIN_MS" no_sessions; then say "All VPU sessions closed."; else say "$(count) session(s) still open."; fi
fi
poll "$STOP_MS" all_stopped || say "$RECORDER is still $(systemctl is-active "$RECORDER" 2>/dev/null)."
end_step ok

begin_step 3
left=$(count)
if [ "$left" -gt 0 ]; then
  asroot cat "$VPU" 2>/dev/null | head -n 40 | while IFS= read -r l; do emit evidence "$l"; done
  lh=$(live_holders | awk '{print $2}' | tr '\\n' ' ')
  if [ -n "$lh" ]; then say "Processes $lh still hold sessions after SIGKILL (stuck in the kernel)."
  else say "$left session(s) belong to processes that are gone: the kernel kept them."; fi
  emit sessions after "$left"
  end_step failed
  finish reboot_needed "The kernel still holds $left VPU session(s); only a reboot frees them. Nothing was restarted."
fi
panic=$(asroot dmesg 2>/dev/null | grep -m 3 'Kernel panic')
if [ -n "$panic" ]; then
  echo "$panic" | while IFS= read -r l; do emit evidence "$l"; done
  say "The kernel log of this boot shows a panic."
  emit sessions after 0
  end_step failed
  finish reboot_needed "The kernel log shows a panic in this boot; reboot before starting the cameras again."
fi
say "No VPU sessions left and no panic in the kernel log."
end_step ok

begin_step 4
say "Restarting $MEDIA…"
asroot systemctl restart "$MEDIA" 2>&1 | while read -r l; do say "$l"; done
poll "$SERVICE_MS" media_up || fail "$MEDIA did not answer on $MTXHOST:$MTXAPI within $SERVICE_MS ms after its restart."
say "$MEDIA answers."
if [ -n "$HOLD" ]; then asroot mkdir -p "$(dirname "$HOLD")" && asroot touch "$HOLD"; fi
say "Starting $RECORDER…"
asroot systemctl start "$RECORDER" 2>&1 | while read -r l; do say "$l"; done
poll "$SERVICE_MS" api_up || fail "The recorder API did not answer on port $API within $SERVICE_MS ms."
say "The recorder API answers."
bad=""
HITS=""
# New kernel lines since K that are alarms; they stay in HITS for show_hits.
kernel_alarm() { HITS=$(knew "$K" | grep -E "$ALARMS" | head -n 20); [ -n "$HITS" ]; }
show_hits() { echo "$HITS" | while IFS= read -r l; do emit evidence "$l"; done; }
if [ -n "$HOLD" ]; then
  for c in $CAMS; do
    if [ -n "$bad" ]; then emit camera "$c" not_started - "not started: the reset stopped at $bad"; continue; fi
    say "Starting $c…"
    K=$(klines)
    curl -s -o /dev/null -X POST --max-time 10 "http://127.0.0.1:$API$INGEST_START?camera=$c"
    if poll "$CAM_MS" cam_streaming "$c"; then
      # Watch the kernel for a moment: a bad encoder setting faults shortly after the session opens.
      if poll "$WATCH_MS" kernel_alarm; then alarm=1; else alarm=0; fi
      s=$(count)
      if [ $alarm = 1 ]; then
        show_hits; emit camera "$c" failed "$s" "the kernel log showed an alarm as it came up"; bad=$c
        say "$c: the kernel log showed an alarm as it came up, so the reset stops here."
      elif [ "$s" -gt "$PRACTICAL" ]; then
        emit camera "$c" failed "$s" "$s VPU sessions open: above the practical limit of $PRACTICAL"; bad=$c
      else
        emit camera "$c" online "$s" "streaming; $s VPU session(s) open"
        say "$c is streaming; $s VPU session(s) open, nothing new in the kernel log."
      fi
    else
      s=$(count)
      kernel_alarm && show_hits
      emit camera "$c" failed "$s" "not streaming after $CAM_MS ms"; bad=$c
    fi
  done
else
  K=$(klines)
  for c in $CAMS; do poll "$CAM_MS" cam_streaming "$c" || true; done
  if poll "$WATCH_MS" kernel_alarm; then show_hits; bad="the kernel log"; fi
  s=$(count)
  for c in $CAMS; do
    if cam_streaming "$c"; then emit camera "$c" online "$s" "streaming (the recorder starts all cameras together)"
    else emit camera "$c" failed "$s" "not streaming after $CAM_MS ms"; bad=$c; fi
  done
fi
SA=$(count); emit sessions after "$SA"
if [ -n "$bad" ]; then fail "Stopped at $bad: see the evidence. $SA VPU session(s) open."; fi
end_step ok
finish healthy "All cameras back online with $SA VPU session(s) open."
`;

/** The whole job: the values as shell variables, then the program. */
export function resetScript(input: ResetScriptInput): ShellCommand {
  const { profile } = input;
  const t = { ...DEFAULT_TIMEOUTS, ...input.timeouts };
  const file = remotePath(
    input.sessionFile ?? profile.vpu.sessionFiles[0] ?? '/sys/kernel/debug/mpp_service/session',
  );
  const recs = input.recordings.map((f) =>
    remotePath(path.posix.isAbsolute(f) ? f : path.posix.join(profile.recordings.dir, f)),
  );
  const ingest = profile.recorderApi.ingest;
  return sh`JOB=${input.jobId}
VPU=${file}
RECORDER=${unitName(profile.units.recorder)}
MEDIA=${unitName(profile.units.mediaServer)}
API=${profile.recorderApi.port}
MTXHOST=${profile.mediamtx.apiHost}
MTXAPI=${profile.mediamtx.apiPort}
CAMS=${profile.cameras.join(' ')}
RECS=${recs.join('\n')}
JOBS=${input.pipelineJobs.join(' ')}
JOBS_DIR=${JOBS_DIR}
HOLD=${ingest ? remotePath(ingest.holdFile) : ''}
INGEST_START=${ingest?.start ?? ''}
ALARMS=${KERNEL_FAULTS}
STOP_MS=${t.stopMs} DRAIN_MS=${t.drainMs} STALL_MS=${t.stallMs} TERM_MS=${t.termMs} SERVICE_MS=${t.serviceMs} CAM_MS=${t.cameraMs} WATCH_MS=${t.watchMs}
PRACTICAL=${input.profile.vpu.practicalLimit}
INTERRUPT_MS=${t.interruptMs}
LEASE_INFO=${input.lease.info}
INTERRUPT=${input.lease.interrupt ?? ''}
BROKE=
${AS_ROOT}
${LEASE_JOB_FUNCTIONS}
${BODY}`;
}
