/**
 * The seeds' own tests for the transcoder and the VMS host, as detached jobs on the device holding its lease (so no
 * switch or restart changes the box under the measurement). They only measure and print; the verdict is made by
 * the console from what they printed (kind-qualify-report.ts), so every console that reads the output agrees.
 *
 * `@` lines:
 *   @begin <ms> <job>   @say <text>   @busy <what>   @refused <ms> <text>   @end <ms>
 *   transcoder: @progress <ms into the read> <bytes so far>   @curl <exit> <time to first byte s> <bytes> <http status>
 *               @probe <ffprobe JSON on one line>
 *   VMS:        @clk <ticks a second>   @cameras <names…>   @baseline <JSON on one line>
 *               @snap <ms> <camera>:<pid,pid|->:<ticks> …   @recorded <JSON on one line>
 * Exit: 0 measured, 2 refused.
 */
import { LEASE_JOB_FUNCTIONS } from '../device/lease-script.js';
import type { TranscoderProfile, VmsProfile } from '../device/profile.js';
import { remotePath, sh, type ShellCommand } from '../device/quote.js';

/** Where the VMS host keeps its own CPU baseline, as a shell word (expanded on the device). */
export const BASELINE_FILE = sh`"$HOME"/.tally/baseline-vms.json`;

const COMMON_HEAD = sh`
now() { date +%s%3N; }
emit() { printf '@%s\\n' "$*"; }
emit begin "$(now)" "$JOB"
TMPD=$(mktemp -d) || exit 1
trap 'lease_release "$JOB"; rm -rf "$TMPD"' EXIT
if ! lease_take "$JOB" "$LEASE_INFO" "" 2; then
  emit busy "$(lease_field what)"
  emit refused "$(now)" "Another operation holds the device: $(lease_field what)."
  exit 2
fi
`;

const TRANSCODE = sh`
emit say "Reading $URL for $READ_S s, unbuffered (curl -N)."
F="$TMPD/out.ts"; t0=$(now)
curl -N -sS --max-time "$READ_S" -o "$F" -w '%{time_starttransfer} %{size_download} %{http_code}' "$URL" > "$TMPD/w" 2> "$TMPD/err" &
cp=$!
while kill -0 "$cp" 2>/dev/null; do
  emit progress "$(( $(now) - t0 ))" "$(stat -c %s "$F" 2>/dev/null || echo 0)"
  sleep 1
done
wait "$cp"; rc=$?
emit curl "$rc" $(cat "$TMPD/w")
[ "$rc" -ne 0 ] && [ "$rc" -ne 28 ] && emit say "curl: $(head -c 300 "$TMPD/err" | tr '\\n' ' ')"
if ! command -v ffprobe > /dev/null 2>&1; then
  emit say "ffprobe is not installed on the box: the stream's format and codecs cannot be read."
elif [ -s "$F" ]; then
  # Decoding the cut-off last frame makes ffprobe complain on stderr: kept apart from the JSON, said only when it gave none.
  j=$(ffprobe -v error -count_frames -show_entries format=format_name,duration:stream=codec_type,codec_name,profile,nb_read_frames,r_frame_rate,avg_frame_rate -of json "$F" 2> "$TMPD/perr" | tr -d '\\n' | head -c 20000)
  if [ -n "$j" ]; then emit probe "$j"; else emit say "ffprobe: $(head -c 300 "$TMPD/perr" | tr '\\n' ' ')"; emit probe "{}"; fi
fi
emit end "$(now)"
`;

const CPU = sh`
cam_pids() { for p in $(pgrep -x "$PROC"); do tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | grep -q -e "^$DIR/$1_%Y" -e "^$LIVE$1\\$" && echo "$p"; done; }
found_cams() {
  for p in $(pgrep -x "$PROC"); do tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | sed -n "s#^$DIR/\\(.*\\)_%Y.*#\\1#p"; done | grep -E '^[A-Za-z0-9_.-]+$' | sort -u
}
snap() {
  line="$(now)"
  for c in $CAMS; do
    ticks=0; pids=""
    for p in $(cam_pids "$c"); do
      s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
      set -- $s
      ticks=$((ticks + \${12} + \${13})); pids="$pids\${pids:+,}$p"
    done
    line="$line $c:\${pids:--}:$ticks"
  done
  emit snap $line
  echo "$line" >> "$TMPD/snaps"
}
CAMS=$(found_cams | tr '\\n' ' ')
if [ -z "$CAMS" ]; then
  emit refused "$(now)" "No camera process was found ($PROC recording into $DIR): nothing to measure. Check the service."
  exit 2
fi
CLK=$(getconf CLK_TCK 2>/dev/null || echo 100)
emit clk "$CLK"
emit cameras $CAMS
if [ "$NEW_BASELINE" != yes ] && [ -s "$BASELINE" ]; then emit baseline "$(tr -d '\\n' < "$BASELINE" | head -c 4000)"; fi
emit say "Sampling the cameras' CPU $SAMPLES times, $EVERY s apart (percent of one core)."
snap; i=0
while [ "$i" -lt "$SAMPLES" ]; do sleep "$EVERY"; snap; i=$((i + 1)); done
if [ "$NEW_BASELINE" = yes ] || [ ! -s "$BASELINE" ]; then
  first=$(head -n 1 "$TMPD/snaps"); last=$(tail -n 1 "$TMPD/snaps")
  set -- $first; t1=$1; shift; fw="$*"
  set -- $last; t2=$1; shift; lw="$*"
  dt=$((t2 - t1)); json=""; total=0; ok=yes
  for c in $CAMS; do
    a=$(echo " $fw " | sed -n "s/.* $c:\\([^ ]*\\) .*/\\1/p"); b=$(echo " $lw " | sed -n "s/.* $c:\\([^ ]*\\) .*/\\1/p")
    pa=\${a%:*}; pb=\${b%:*}
    if [ "$pa" = "-" ] || [ "$pa" != "$pb" ] || [ "$dt" -le 0 ]; then ok=no; break; fi
    tenths=$(( (\${b##*:} - \${a##*:}) * 1000000 / (CLK * dt) ))
    total=$((total + tenths))
    json="$json\${json:+,}\\"$c\\":$((tenths / 10)).$((tenths % 10))"
  done
  if [ "$ok" = yes ]; then
    out="{\\"recordedAt\\":\\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\\",\\"totalPercent\\":$((total / 10)).$((total % 10)),\\"perCamera\\":{$json},\\"samples\\":$SAMPLES,\\"everyS\\":$EVERY}"
    mkdir -p "$(dirname "$BASELINE")" && printf '%s\\n' "$out" > "$BASELINE.tmp" && mv -f "$BASELINE.tmp" "$BASELINE" && emit recorded "$out"
  else
    emit say "A camera's processes changed during the test: no baseline was recorded from it."
  fi
fi
emit end "$(now)"
`;

export interface TranscodeJobInput {
  jobId: string;
  /** The full /transcode URL on the box's loopback, source included. */
  url: string;
  seconds: number;
  leaseInfo: string;
}

/** `<health origin>/transcode?source_url=<source>`: the transcoder's own endpoint, from its profile. */
export function transcodeUrl(profile: TranscoderProfile, source: string): string {
  const url = new URL('/transcode', profile.health.url);
  url.searchParams.set('source_url', source);
  return url.toString();
}

export function transcodeJobScript(input: TranscodeJobInput): ShellCommand {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?\/transcode\?/.test(input.url))
    throw new Error(`Not the transcoder's loopback /transcode URL: ${input.url}`);
  return sh`JOB=${input.jobId}
URL=${input.url}
READ_S=${Math.round(input.seconds)}
LEASE_INFO=${input.leaseInfo}
${LEASE_JOB_FUNCTIONS}
${COMMON_HEAD}
${TRANSCODE}`;
}

export interface CpuJobInput {
  jobId: string;
  profile: VmsProfile;
  newBaseline: boolean;
  leaseInfo: string;
}

export function cpuJobScript(input: CpuJobInput): ShellCommand {
  const { profile } = input;
  return sh`JOB=${input.jobId}
PROC=${profile.cameras.process}
DIR=${remotePath(profile.recordings.dir)}
LIVE=${profile.live.urlPrefix}
SAMPLES=${profile.cpu.samples}
EVERY=${profile.cpu.everyS}
NEW_BASELINE=${input.newBaseline ? 'yes' : 'no'}
BASELINE=${BASELINE_FILE}
LEASE_INFO=${input.leaseInfo}
${LEASE_JOB_FUNCTIONS}
${COMMON_HEAD}
${CPU}`;
}
