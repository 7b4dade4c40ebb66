/**
 * Going back to a known-good image (transcoder) or binary (VMS host) as one detached job on the device, holding its
 * lease, so a dropped link neither aborts it nor decides its outcome: the box judges its own health and goes back
 * by itself. Nothing is deleted: what ran is kept under a name of its own, and the report says which.
 *
 *   1 keep      transcoder: the running image id tagged <repo>:tally-keep-<job>; VMS: the binary copied to <bin>.tally-<job>
 *   2 switch    transcoder: `docker tag <repo>:<target> <repo>:<tag>`; VMS: the backup copied in beside and renamed over
 *   3 restart   transcoder: `docker compose -f F up -d --force-recreate S`; VMS: `systemctl restart <unit>`
 *   4 probation transcoder: running, RestartCount flat, /health 200 with every required field true;
 *               VMS: every camera's process up (not stopped), a new segment per camera, the live outputs answer
 *   5 back      unhealthy: the kept one put back the same way, restart
 *   6 recheck   the same checks
 *
 * It speaks `@` lines (swap-report.ts reads them):
 *   @begin <ms> <job>   @title <text>   @from <ref> <id>   @kept <name>   @ended <id>
 *   @step <n> begin <ms>   @step <n> end <ok|failed|skipped> <ms>   @say <n> <text>
 *   @health <4|6> <atMs> <1|0> <text>   @evidence <text>   @busy <what>   @outcome <outcome> <ms> <summary>
 * Exit: 0 healthy, 1 failed (going back did not help), 2 refused (nothing changed), 5 reverted by itself.
 */
import { LEASE_JOB_FUNCTIONS } from '../device/lease-script.js';
import type { TranscoderProfile, VmsProfile } from '../device/profile.js';
import { AS_ROOT, remotePath, sh, unitName, type ShellCommand } from '../device/quote.js';

export interface SwapJobInput {
  jobId: string;
  profile: TranscoderProfile | VmsProfile;
  /** The tag (transcoder) or the backup's file name beside the binary (VMS) to go to. */
  target: string;
  title: string;
  probationMs: number;
  /** How long the service has to look healthy after a restart, before the window starts. */
  startMs: number;
  leaseInfo: string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Where the transcoder's image is kept by a switch. */
export function keptImage(profile: TranscoderProfile, jobId: string): string {
  return `${profile.image.repository}:tally-keep-${jobId}`;
}

/** Where the VMS binary is kept by a switch. */
export function keptBinary(profile: VmsProfile, jobId: string): string {
  return `${profile.binary.path}.tally-${jobId}`;
}

// Trusted program text shared by both kinds; each kind adds keep/switch_to/put_back/restart_service/look/settle.
const COMMON = sh`
now() { date +%s%3N; }
emit() { printf '@%s\\n' "$*"; }
say() { printf '@say %s %s\\n' "$STEP" "$*"; }
say_lines() { while IFS= read -r l; do [ -n "$l" ] && say "$l"; done; }
begin_step() { STEP=$1; emit step "$1" begin "$(now)"; }
end_step() { emit step "$STEP" end "$1" "$(now)"; }
finish() {
  emit ended "$(ended_id)"
  emit outcome "$1" "$(now)" "$2"
  case $1 in healthy) exit 0;; refused) exit 2;; reverted) exit 5;; *) exit 1;; esac
}
lease_lost() { ! { grep -qx "id=$JOB" "$LD/info" 2>/dev/null && kill -0 "$(lease_field pid)" 2>/dev/null; }; }
LOST="Lost the device's lease (its holder on the device was killed): another operation may be changing the device, so this one stopped here"
# probation <step> <window ms>: a healthy look within START_MS of the restart, then healthy looks for the whole window.
probation() {
  WHY=""; t0=$(now)
  while :; do
    look full
    [ "$OK" = 1 ] && break
    if [ $(( $(now) - t0 )) -ge "$START_MS" ]; then
      emit health "$1" 0 0 "$TEXT"
      WHY="not healthy $((START_MS / 1000)) s after the restart: $TEXT"
      return 1
    fi
    sleep 1
  done
  settle
  t0=$(now); i=0
  while :; do
    el=$(( $(now) - t0 ))
    if [ $((i % 5)) -eq 4 ] || [ "$el" -ge "$2" ]; then look full; else look quick; fi
    emit health "$1" "$el" "$OK" "$TEXT"
    if lease_lost; then WHY=lost; return 1; fi
    if [ "$OK" != 1 ]; then WHY=$TEXT; return 1; fi
    [ "$el" -ge "$2" ] && return 0
    i=$((i + 1)); sleep 1
  done
}

emit begin "$(now)" "$JOB"
emit title "$TITLE"
TMPD=$(mktemp -d) || exit 1
trap 'lease_release "$JOB"; rm -rf "$TMPD"' EXIT
if ! lease_take "$JOB" "$LEASE_INFO" "" 2; then emit busy "$(lease_field what)"; finish refused "Another operation holds the device: $(lease_field what). Nothing was changed."; fi

begin_step 1
keep || { end_step failed; finish refused "$WHY Nothing was changed."; }
end_step ok

begin_step 2
if lease_lost; then end_step failed; finish failed "$LOST. Nothing was changed."; fi
switch_to || { end_step failed; finish failed "$WHY"; }
end_step ok

begin_step 3
if restart_service; then end_step ok; else end_step failed; fi

begin_step 4
if probation 4 "$PROBATION_MS"; then
  say "Healthy for the whole window."
  end_step ok; emit step 5 end skipped "$(now)"; emit step 6 end skipped "$(now)"
  finish healthy "Now on $TARGET_REF: healthy for $((PROBATION_MS / 1000)) s. What ran before is kept as $KEPT."
fi
if [ "$WHY" = lost ]; then
  end_step failed
  finish failed "$LOST. The box stays on $TARGET_REF (what ran before is kept as $KEPT) and nothing was put back: check it before trusting this change."
fi
say "Unhealthy: $WHY"
FIRST=$WHY
end_step failed

begin_step 5
put_back || { end_step failed; finish failed "$TARGET_REF was unhealthy ($FIRST), and putting $KEPT back failed: $WHY"; }
if restart_service; then end_step ok; else end_step failed; fi

begin_step 6
if probation 6 "$PROBATION_MS"; then
  end_step ok
  finish reverted "$TARGET_REF was unhealthy ($FIRST); reverted by itself to what ran before ($KEPT), healthy again."
fi
say "Still unhealthy: $WHY"
end_step failed
finish failed "$TARGET_REF was unhealthy ($FIRST), and so is what ran before after going back ($WHY). It is kept as $KEPT; the box needs attention."
`;

const TRANSCODER = sh`
D() { asroot docker "$@"; }
inspect() { D inspect "$CONTAINER" 2>/dev/null | tr -d ' \\n\\r\\t'; }
running_id() { inspect | grep -o '"Image":"sha256:[0-9a-f]*"' | head -n 1 | sed 's/^"Image":"//; s/"$//'; }
short() { echo "$1" | sed 's/^sha256://' | cut -c1-12; }
ended_id() { short "$(running_id)"; }
keep() {
  RUN=$(running_id)
  if [ -z "$RUN" ]; then WHY="Could not read which image $CONTAINER runs (docker inspect)."; return 1; fi
  RUN_REF=$(inspect | grep -o '"Image":"[^"]*"' | grep -v '"Image":"sha256:' | head -n 1 | sed 's/^"Image":"//; s/"$//')
  emit from "\${RUN_REF:-$REPO:$TAG}" "$(short "$RUN")"
  if ! D image inspect "$TARGET_REF" > /dev/null 2>&1; then WHY="There is no image $TARGET_REF on the box."; return 1; fi
  out=$(D tag "$RUN" "$KEPT" 2>&1) || { WHY="Could not keep the running image as $KEPT: $out."; return 1; }
  emit kept "$KEPT"
  say "The running image $(short "$RUN") is kept as $KEPT."
}
tag_slot() {
  out=$(D tag "$1" "$REPO:$TAG" 2>&1) || { WHY="docker tag $1 $REPO:$TAG failed: $out"; return 1; }
  say "$REPO:$TAG now points at $1 ($(short "$(D image inspect "$1" 2>/dev/null | tr -d ' \\n' | grep -o '"Id":"[^"]*"' | head -n 1 | sed 's/^"Id":"//; s/"$//')"))."
}
switch_to() { tag_slot "$TARGET_REF"; }
put_back() { tag_slot "$KEPT"; }
restart_service() {
  D compose -f "$COMPOSE" up -d --force-recreate "$SERVICE" > "$TMPD/compose" 2>&1; rc=$?
  say_lines < "$TMPD/compose"
  say "docker compose up -d --force-recreate $SERVICE: exit $rc."
  [ "$rc" -eq 0 ]
}
R0=""
settle() { R0=$(inspect | grep -o '"RestartCount":[0-9]*' | head -n 1 | tr -dc '0-9'); }
look() {
  OK=1; j=$(inspect)
  if [ -z "$j" ]; then OK=0; TEXT="$CONTAINER is missing"; return; fi
  if echo "$j" | grep -q '"Running":true'; then st=running; else st=$(echo "$j" | grep -o '"Status":"[a-z]*"' | head -n 1 | sed 's/.*:"//; s/"//'); OK=0; fi
  if echo "$j" | grep -q '"Restarting":true'; then st=restarting; OK=0; fi
  rc=$(echo "$j" | grep -o '"RestartCount":[0-9]*' | head -n 1 | tr -dc '0-9')
  TEXT="$st, restarts \${rc:-?}"
  if [ -n "$R0" ] && [ -n "$rc" ] && [ "$rc" -gt "$R0" ]; then OK=0; TEXT="$TEXT (was $R0: it restarted)"; fi
  code=$(curl -s -o "$TMPD/h" -w '%{http_code}' --max-time 3 "$HEALTH" 2>/dev/null)
  body=$(tr -d ' \\n\\r\\t' < "$TMPD/h" 2>/dev/null)
  TEXT="$TEXT, /health \${code:-000}"
  [ "$code" = 200 ] || OK=0
  for f in $REQUIRE; do
    echo "$body" | grep -q "\\"$f\\":true" || { OK=0; TEXT="$TEXT, $f not true"; }
  done
  err=$(sed -n 's/.*"error" *: *"\\([^"]*\\)".*/\\1/p' "$TMPD/h" 2>/dev/null | head -c 200)
  [ -n "$err" ] && TEXT="$TEXT ($err)"
  return 0
}
`;

const VMS = sh`
running_id() { asroot sha256sum "$BIN" 2>/dev/null | cut -c1-12; }
ended_id() { running_id; }
cam_pids() { for p in $(pgrep -x "$PROC"); do tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | grep -q "^$DIR/$1_%Y" && echo "$p"; done; }
found_cams() {
  for p in $(pgrep -x "$PROC"); do tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | sed -n "s#^$DIR/\\(.*\\)_%Y.*#\\1#p"; done | sort -u
}
filed_cams() { ls -1 "$DIR" 2>/dev/null | sed -n 's/^\\(.*\\)_[0-9]\\{8\\}_[0-9]\\{6\\}\\.mp4$/\\1/p' | sort -u; }
keep() {
  CAMS=$(echo $(found_cams))
  [ -z "$CAMS" ] && CAMS=$(echo $(filed_cams))
  if [ -z "$CAMS" ]; then WHY="No camera was found on the box (no $PROC recording into $DIR, no segments there) to judge the switch by."; return 1; fi
  say "Cameras to watch: $CAMS"
  if ! asroot test -f "$TARGET_REF"; then WHY="There is no $TARGET_REF on the box."; return 1; fi
  emit from "$BIN" "$(running_id)"
  out=$(asroot cp -p "$BIN" "$KEPT" 2>&1) || { WHY="Could not keep $BIN as $KEPT: $out."; return 1; }
  emit kept "$KEPT"
  say "$BIN ($(running_id)) is kept as $KEPT."
}
install() {
  t="$BIN.tally-new-$JOB"
  out=$( { asroot cp -p "$1" "$t" && asroot mv -f "$t" "$BIN"; } 2>&1 ) || { asroot rm -f "$t"; WHY="Could not install $1 as $BIN: $out"; return 1; }
  say "$1 installed as $BIN ($(running_id)); $1 stays where it was."
}
switch_to() { install "$TARGET_REF"; }
put_back() { install "$KEPT"; }
restart_service() {
  touch "$TMPD/mark"; sleep 1
  asroot systemctl restart "$UNIT" 2>&1 | say_lines
  st=$(systemctl is-active "$UNIT" 2>/dev/null)
  say "$UNIT is $st."
  [ "$st" = active ]
}
settle() { :; }
live_codec() {
  command -v ffprobe > /dev/null 2>&1 || { echo "unchecked (no ffprobe)"; return 0; }
  timeout 8 ffprobe -v error -rtsp_transport tcp -show_entries stream=codec_name -of csv=p=0 "$LIVE$1" 2>/dev/null | head -n 1
}
look() {
  OK=1; TEXT=""
  for c in $CAMS; do
    p=$(cam_pids "$c" | head -n 1)
    if [ -z "$p" ]; then OK=0; TEXT="$TEXT$c: no process; "; continue; fi
    s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
    if [ "$s" = T ]; then OK=0; TEXT="$TEXT$c: process stopped; "; continue; fi
    seg=$(find "$DIR" -maxdepth 1 -name "\${c}_*.mp4" -newer "$TMPD/mark" 2>/dev/null | head -n 1)
    if [ -z "$seg" ]; then OK=0; TEXT="$TEXT$c: up, no new segment since the restart; "; continue; fi
    if [ "$1" = full ]; then
      k=$(live_codec "$c")
      if [ -z "$k" ]; then OK=0; TEXT="$TEXT$c: up, new segment, live output does not answer; "; continue; fi
      TEXT="$TEXT$c: up, new segment, live $k; "
    else
      TEXT="$TEXT$c: up, new segment; "
    fi
  done
  TEXT=\${TEXT%; }
}
`;

export function swapJobScript(input: SwapJobInput): ShellCommand {
  const { profile, jobId } = input;
  if (!NAME.test(input.target)) throw new Error(`Not a tag or backup name: ${input.target}`);
  const oneLine = (t: string): string => t.replace(/[\r\n]+/g, ' ').slice(0, 400);
  const head = sh`JOB=${jobId}
TITLE=${oneLine(input.title)}
PROBATION_MS=${input.probationMs}
START_MS=${input.startMs}
LEASE_INFO=${input.leaseInfo}
${AS_ROOT}
${LEASE_JOB_FUNCTIONS}`;
  if (profile.kind === 'transcoder') {
    const repo = profile.image.repository;
    return sh`${head}
CONTAINER=${profile.service.container}
REPO=${repo}
TAG=${profile.image.tag}
TARGET_REF=${`${repo}:${input.target}`}
KEPT=${keptImage(profile, jobId)}
COMPOSE=${remotePath(profile.service.compose.file)}
SERVICE=${profile.service.compose.service}
HEALTH=${profile.health.url}
REQUIRE=${profile.health.requireTrue.join(' ')}
${TRANSCODER}
${COMMON}`;
  }
  const bin = remotePath(profile.binary.path);
  const dir = bin.slice(0, bin.lastIndexOf('/')) || '/';
  return sh`${head}
BIN=${bin}
TARGET_REF=${`${dir === '/' ? '' : dir}/${input.target}`}
KEPT=${keptBinary(profile, jobId)}
UNIT=${unitName(profile.service.unit)}
PROC=${profile.cameras.process}
DIR=${remotePath(profile.recordings.dir)}
LIVE=${profile.live.urlPrefix}
${VMS}
${COMMON}`;
}
