/**
 * A change to the recorder checkout as one detached job on the device, holding the device's lease, so a dropped link
 * neither aborts it nor decides its outcome: the device judges its own health and goes back by itself. Two kinds:
 * a rollback (seed 001's `git reset --hard <sha>` and a restart, typed by hand, done without losing a commit) and a
 * config apply (config.yml written and committed). Both then restart the recorder and hold it to a probation window.
 *
 *   1 keep      HEAD under refs/tally/backup/<job>
 *   2 move      rollback: a new commit on top of HEAD with the target's tree (history stays; nothing is reset away)
 *               apply: config.yml written (checked against the blob the preview read, temp file, rename) and committed
 *   3 restart   recordings stopped with EOS through the recorder API (when asked), the recorder unit restarted
 *   4 probation every camera the config names streaming, VPU sessions as the config needs and under the practical
 *               limit, no new kernel fault, each camera's media path taking in bytes — for the whole window
 *   5 back      unhealthy: the new commit kept under refs/tally/failed/<job>, HEAD reset to the kept one, restart
 *   6 recheck   the same checks for the old HEAD's config
 *
 * It speaks `@` lines (checkout-report.ts reads them):
 *   @begin <ms> <job>     @title <text>   @check <ms> <text>   @head <sha>   @made <sha>   @ref <name>   @ended <sha>
 *   @step <n> begin <ms>  @step <n> end <ok|failed|skipped> <ms>          @say <n> <text>
 *   @health <4|6> <atMs> <streaming> <cameras> <sessions|-> <faults> <stalled cams, comma-separated|->
 *   @evidence <text>      @busy <what holds the device>                    @outcome <outcome> <ms> <summary>
 * Exit: 0 healthy, 1 failed (going back did not help), 2 refused (nothing changed), 5 reverted by itself,
 * 6 interrupted by an emergency VPU reset.
 */
import { createHash } from 'node:crypto';
import type { R58Profile } from './profile.js';
import { VPU_HEALTH_FAULTS } from './kernel-faults.js';
import { LEASE_JOB_FUNCTIONS } from './lease-script.js';
import { AS_ROOT, commitId, remotePath, sh, unitName, type ShellCommand } from './quote.js';

/** What the job changes in the checkout. */
export type CheckoutChange =
  /** A rollback: commit the target's tree on top of HEAD. */
  | { kind: 'tree'; target: string; targetSubject: string }
  /** A config apply: write the config file (only if it is still `expectBlob`) and commit it with `message`. */
  | { kind: 'write'; text: string; expectBlob: string; newBlob: string; message: string };

export interface CheckoutJobInput {
  jobId: string;
  profile: R58Profile;
  sessionFile: string;
  change: CheckoutChange;
  /** What the report is titled, and what the console checked before it started the job (shown as step 0). */
  title: string;
  check?: { ms: number; text: string };
  /** The cameras and VPU sessions the new config needs, and the current HEAD's (for the recheck). */
  targetCameras: string[];
  targetSessions: number;
  headCameras: string[];
  headSessions: number;
  /** Recordings to stop with EOS before the restart. */
  recordings: boolean;
  probationMs: number;
  /** For every camera to stream after a restart, before the window starts. */
  camerasMs?: number;
  leaseInfo: string;
}

// Trusted program text; values arrive as shell variables set above it.
const BODY = sh`
now() { date +%s%3N; }
emit() { printf '@%s\\n' "$*"; }
say() { printf '@say %s %s\\n' "$STEP" "$*"; }
begin_step() { STEP=$1; emit step "$1" begin "$(now)"; }
end_step() { emit step "$STEP" end "$1" "$(now)"; }
finish() {
  emit ended "$(g rev-parse HEAD 2>/dev/null)"
  emit outcome "$1" "$(now)" "$2"
  case $1 in healthy) exit 0;; refused) exit 2;; reverted) exit 5;; interrupted) exit 6;; *) exit 1;; esac
}
# An emergency VPU reset asks for the device: stop at the next safe point, going back over nothing.
interrupted() { [ -s "$LD/interrupt" ]; }
# Its lease holder was killed (the lock went with it): another operation may be changing the device now.
lease_lost() { ! { grep -qx "id=$JOB" "$LD/info" 2>/dev/null && kill -0 "$(lease_field pid)" 2>/dev/null; }; }
LOST="Lost the device's lease (its holder on the device was killed): another operation may be changing the device, so this one stopped here"

g() { git -c safe.directory="$REPO" -c user.name=Tally -c user.email=tally@localhost -c commit.gpgsign=false -C "$REPO" "$@"; }
poll() { lim=$1; shift; t0=$(now); while :; do "$@" && return 0; [ $(( $(now) - t0 )) -ge "$lim" ] && return 1; sleep 0.2; done; }
status_json() { curl -s --max-time 2 "http://127.0.0.1:$API/status"; }
streaming() { j=$(status_json); n=0; for c in $1; do echo "$j" | grep -q '"'"$c"'": *"streaming' && n=$((n + 1)); done; echo "$n"; }
not_streaming() { j=$(status_json); for c in $1; do echo "$j" | grep -q '"'"$c"'": *"streaming' || printf '%s ' "$c"; done; }
all_streaming() { [ -z "$(not_streaming "$1")" ]; }
# The open VPU sessions; nothing when the session file cannot be read (then the count is not judged).
sessions() { x=$(asroot cat "$VPU" 2>/dev/null) || return 0; printf '%s\n' "$x" | grep -c '^session'; return 0; }
klines() { asroot dmesg 2>/dev/null | wc -l; }
kfaults() { asroot dmesg 2>/dev/null | tail -n +$((K0 + 1)) | grep -E "$FAULTS"; }
inbound() { curl -s --max-time 2 "http://$MTXHOST:$MTXAPI/v3/paths/get/$1" | grep -o '"\\(inboundBytes\\|bytesReceived\\)": *[0-9]*' | head -n 1 | tr -dc '0-9'; }
# probation <step> <cameras> <sessions needed> <window ms>: true when healthy for the whole window.
probation() {
  WHY=""; cams=$2; ncams=$(echo $cams | wc -w)
  if ! poll "$CAM_MS" all_streaming "$cams"; then
    WHY="not streaming $CAM_MS ms after the restart: $(not_streaming "$cams")"
    v=$(sessions); emit health "$1" 0 "$(streaming "$cams")" "$ncams" "\${v:--}" 0 -
    return 1
  fi
  t0=$(now); i=0
  for c in $cams; do inbound "$c" > "$TMPD/bytes.$c"; done
  while :; do
    el=$(( $(now) - t0 )); s=$(streaming "$cams"); v=$(sessions); f=$(kfaults | wc -l)
    stalled=""
    if [ $((i % 3)) -eq 2 ]; then
      for c in $cams; do
        b=$(inbound "$c"); p=$(cat "$TMPD/bytes.$c" 2>/dev/null)
        [ -n "$b" ] && [ -n "$p" ] && [ "$b" -le "$p" ] && stalled="$stalled\${stalled:+,}$c"
        echo "$b" > "$TMPD/bytes.$c"
      done
    fi
    emit health "$1" "$el" "$s" "$ncams" "\${v:--}" "$f" "\${stalled:--}"
    if interrupted; then WHY=interrupted; return 1; fi
    if lease_lost; then WHY=lost; return 1; fi
    if [ "$f" -gt 0 ]; then WHY="new kernel fault: $(kfaults | head -n 1)"; kfaults | head -n 20 | while IFS= read -r l; do emit evidence "$l"; done; return 1; fi
    if [ "$s" -lt "$ncams" ]; then WHY="stopped streaming: $(not_streaming "$cams")"; return 1; fi
    if [ -n "$v" ] && [ "$v" -gt "$PRACTICAL" ]; then WHY="$v VPU sessions, over the practical limit of $PRACTICAL"; return 1; fi
    if [ -n "$v" ] && [ "$v" -lt "$3" ]; then WHY="$v VPU sessions open where the config needs $3: an encoder did not open"; return 1; fi
    if [ -n "$stalled" ]; then WHY="no new bytes from $stalled in 3 s: its encoder does not keep up"; return 1; fi
    [ "$el" -ge "$4" ] && return 0
    i=$((i + 1)); sleep 1
  done
}
restart() {
  K0=$(klines)
  if [ "$RECS" = yes ]; then
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 30 "http://127.0.0.1:$API/record/stop")
    say "Recordings stopped with EOS through the recorder API (HTTP $code), so their files are finalised."
  fi
  asroot systemctl restart "$RECORDER" 2>&1 | while IFS= read -r l; do say "$l"; done
  st=$(systemctl is-active "$RECORDER" 2>/dev/null)
  say "$RECORDER is $st."
  [ "$st" = active ]
}

emit begin "$(now)" "$JOB"
emit title "$TITLE"
[ -n "$CHECK" ] && emit check "$CHECK_MS" "$CHECK"
TMPD=$(mktemp -d) || exit 1
# Let go of the device as the job ends, so the next operation need not wait for the lease holder to notice.
trap 'lease_release "$JOB"; rm -rf "$TMPD"' EXIT
if ! lease_take "$JOB" "$LEASE_INFO" "" 2; then emit busy "$(lease_field what)"; finish refused "Another operation holds the device: $(lease_field what). Nothing was changed."; fi

begin_step 1
OLD=$(g rev-parse HEAD) || { end_step failed; finish refused "$REPO is not a git checkout Tally can read."; }
emit head "$OLD"
dirty=$(g status --porcelain --untracked-files=no)
if [ -n "$dirty" ]; then
  say "Uncommitted changes: $(echo "$dirty" | head -n 5 | tr '\\n' ' ')"
  end_step failed; finish refused "The checkout has uncommitted changes; Tally does not overwrite them. Nothing was changed."
fi
g update-ref "refs/tally/backup/$JOB" "$OLD" && emit ref "refs/tally/backup/$JOB"
say "HEAD $(echo "$OLD" | cut -c1-7) kept as refs/tally/backup/$JOB."
end_step ok

begin_step 2
if interrupted; then end_step skipped; finish interrupted "Interrupted by $(head -c 200 "$LD/interrupt") before anything changed; HEAD stays at $(echo "$OLD" | cut -c1-7)."; fi
if lease_lost; then end_step failed; finish failed "$LOST. Nothing was changed."; fi
if [ "$MODE" = tree ]; then
  if [ "$(g rev-parse "$TARGET^{tree}")" = "$(g rev-parse "HEAD^{tree}")" ]; then
    end_step failed; finish refused "HEAD already has the tree of $TARGET_SHORT; nothing to roll back."
  fi
  g read-tree -u --reset "$TARGET" && g commit -q -m "$MESSAGE" || { end_step failed; g reset -q --hard "$OLD"; finish failed "Could not commit the target's tree; HEAD is back at $OLD."; }
  say "Committed $(g rev-parse --short=7 HEAD) with the tree of $TARGET_SHORT, on top of $(echo "$OLD" | cut -c1-7)."
else
  F="$REPO/$CONFIG"
  if [ "$(g hash-object -- "$F")" != "$EXPECT_BLOB" ]; then
    end_step failed; finish refused "$CONFIG changed on the device since Tally read it; it was left as it is. Preview the change again."
  fi
  t="$F.tally-$JOB"
  if ! { cp -p "$F" "$t" && printf '%s' "$NEW_TEXT" > "$t" && [ "$(g hash-object -- "$t")" = "$NEW_BLOB" ] && sync "$t" && mv -f "$t" "$F"; }; then
    rm -f "$t"; end_step failed; finish failed "Could not write $CONFIG; it was left as it was. Nothing was changed."
  fi
  say "$CONFIG written (temp file, checked, renamed)."
  if ! g commit -q -m "$MESSAGE" -- "$CONFIG"; then
    g checkout -q -- "$CONFIG"; end_step failed; finish failed "Could not commit $CONFIG; it was put back as it was at $(echo "$OLD" | cut -c1-7). Nothing was changed."
  fi
  say "Committed $(g rev-parse --short=7 HEAD) on top of $(echo "$OLD" | cut -c1-7): $(g log -1 --format=%s)"
fi
NEW=$(g rev-parse HEAD); emit made "$NEW"
end_step ok

begin_step 3
if lease_lost; then end_step failed; finish failed "$LOST. $(echo "$NEW" | cut -c1-7) is committed but the recorder was not restarted: restart it, or roll back to $(echo "$OLD" | cut -c1-7)."; fi
if restart; then end_step ok; else end_step failed; fi

begin_step 4
if probation 4 "$CAMS" "$NEED" "$PROBATION_MS"; then
  say "Healthy for the whole window."
  end_step ok; emit step 5 end skipped "$(now)"; emit step 6 end skipped "$(now)"
  finish healthy "$DONE $(echo "$NEW" | cut -c1-7): healthy for $((PROBATION_MS / 1000)) s."
fi
if [ "$WHY" = interrupted ]; then
  end_step skipped
  finish interrupted "Interrupted by $(head -c 200 "$LD/interrupt") during the probation: HEAD stays at $(echo "$NEW" | cut -c1-7) (the commit before is refs/tally/backup/$JOB) and nothing was reverted over the reset."
fi
if [ "$WHY" = lost ]; then
  end_step failed
  finish failed "$LOST. HEAD stays at $(echo "$NEW" | cut -c1-7) (the commit before is refs/tally/backup/$JOB) and nothing was reverted: check the device before trusting this change."
fi
say "Unhealthy: $WHY"
FIRST=$WHY
end_step failed

begin_step 5
g update-ref "refs/tally/failed/$JOB" "$NEW" && emit ref "refs/tally/failed/$JOB"
g reset -q --hard "$OLD"
say "$(echo "$NEW" | cut -c1-7) is kept as refs/tally/failed/$JOB; HEAD is back at $(echo "$OLD" | cut -c1-7)."
if restart; then end_step ok; else end_step failed; fi

begin_step 6
if probation 6 "$HEAD_CAMS" "$HEAD_NEED" "$PROBATION_MS"; then
  end_step ok
  finish reverted "$THING was unhealthy ($FIRST); went back to $(echo "$OLD" | cut -c1-7) by itself, healthy again."
fi
say "Still unhealthy: $WHY"
end_step failed
finish failed "$THING was unhealthy ($FIRST), and so is $(echo "$OLD" | cut -c1-7) after going back ($WHY). The board needs attention: see the evidence, or run the emergency VPU reset."
`;

/** git's blob id of a text (`git hash-object`), to check on the device that the written file is exactly this. */
export function gitBlobId(text: string): string {
  const body = Buffer.from(text, 'utf8');
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))
    .digest('hex');
}

function changeVariables(input: CheckoutJobInput): ShellCommand {
  const { change, jobId } = input;
  if (change.kind === 'tree') {
    const target = commitId(change.target);
    const short = target.slice(0, 7);
    const subject = change.targetSubject.replace(/[\r\n]+/g, ' ').slice(0, 200);
    return sh`MODE=tree
TARGET=${target}
TARGET_SHORT=${short}
MESSAGE=${`Tally: roll back to ${short} (${subject})\n\nThe tree of ${target}, committed on top of HEAD by a rollback from Tally (operator console); the commit before is kept as refs/tally/backup/${jobId}.`}
DONE=${`Rolled back to ${short} as`}
THING=${short}`;
  }
  for (const blob of [change.expectBlob, change.newBlob])
    if (!/^[0-9a-f]{40}$/.test(blob)) throw new Error(`Not a blob id: ${blob}`);
  return sh`MODE=write
CONFIG=${remotePath(input.profile.repo.config)}
EXPECT_BLOB=${change.expectBlob}
NEW_BLOB=${change.newBlob}
NEW_TEXT=${change.text}
MESSAGE=${`${change.message.trimEnd()}\n\nThe commit before is kept as refs/tally/backup/${jobId}.`}
DONE=${'Applied as'}
THING=${'The change'}`;
}

export function checkoutJobScript(input: CheckoutJobInput): ShellCommand {
  const { profile } = input;
  const oneLine = (t: string): string => t.replace(/[\r\n]+/g, ' ').slice(0, 400);
  return sh`JOB=${input.jobId}
REPO=${remotePath(profile.repo.path)}
${changeVariables(input)}
TITLE=${oneLine(input.title)}
CHECK=${oneLine(input.check?.text ?? '')}
CHECK_MS=${Math.round(input.check?.ms ?? 0)}
RECORDER=${unitName(profile.units.recorder)}
API=${profile.recorderApi.port}
MTXHOST=${profile.mediamtx.apiHost}
MTXAPI=${profile.mediamtx.apiPort}
VPU=${remotePath(input.sessionFile)}
PRACTICAL=${profile.vpu.practicalLimit}
CAMS=${input.targetCameras.join(' ')}
NEED=${input.targetSessions}
HEAD_CAMS=${input.headCameras.join(' ')}
HEAD_NEED=${input.headSessions}
RECS=${input.recordings ? 'yes' : 'no'}
PROBATION_MS=${input.probationMs}
CAM_MS=${input.camerasMs ?? 30_000}
FAULTS=${VPU_HEALTH_FAULTS}
LEASE_INFO=${input.leaseInfo}
${AS_ROOT}
${LEASE_JOB_FUNCTIONS}
${BODY}`;
}
