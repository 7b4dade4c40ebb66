/**
 * `docker` on the emulated transcoder box: the commands the console runs (the fixed facts of issue 17), answered
 * from the daemon's DockerModel in Docker's own shapes. Anything else is refused in one line, exit 125.
 *
 *   ps -a [--filter name=RE|status=S|id=X]… --format '{{json .}}'      one JSON object per container line
 *   inspect [--format '{{json .}}'] NAME|ID…                            JSON array (4-space indent), or one line each
 *   logs [-t] [--since T] [-n N|--tail N] [-f] NAME                     tty output (\r\n), -t: RFC3339Nano prefix
 *   start|stop|restart NAME…                                            the name on stdout
 *   images --format '{{json .}}'                                        one line per tag (dangling: <none>)
 *   image inspect REF…                                                  JSON array
 *   tag SRC DST
 *   compose -f FILE up -d --force-recreate [SERVICE]                    recreates from the tag the file names now
 *
 * As on a real host, only root (sudo) may talk to the engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ArgError, has, last, scanArgs, values, type OptionSpec } from '../device/argv.js';
import { done, fail, type CommandContext, type CommandOutcome } from '../device/command.js';
import type { JournalEntry } from '../device/journal.js';
import { composeImage, type DockerContainer, type DockerImage, type DockerModel } from './docker-model.js';
import { TRANSCODER } from './kinds.js';

const REFUSED = 125;
const JSON_FORMAT = '{{json .}}';
const SUPPORTED =
  'ps, inspect, logs, start, stop, restart, images, image inspect, tag, compose -f FILE up -d --force-recreate';
const ZERO_TIME = '0001-01-01T00:00:00Z';

function refuse(what: string): CommandOutcome {
  return fail(
    REFUSED,
    `docker: ${what} (this emulated docker answers: ${SUPPORTED}; formats: --format '${JSON_FORMAT}' only)`,
  );
}

/** Go's encoding/json escapes <, > and & (Docker's `{{json .}}` output shows `\u003cnone\u003e`). */
function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** RFC3339Nano with 9 fixed digits, as `docker logs -t` prints. */
export function rfc3339Nano(realtimeUs: number): string {
  const ms = Math.floor(realtimeUs / 1000);
  const iso = new Date(ms).toISOString().slice(0, 19);
  const nanos = String(Math.floor(realtimeUs % 1_000_000) * 1000).padStart(9, '0');
  return `${iso}.${nanos}Z`;
}

function isoNano(ms: number): string {
  return ms > 0 ? rfc3339Nano(ms * 1000) : ZERO_TIME;
}

/** `2026-12-06 15:01:02 +0000 UTC`, Docker's CreatedAt. */
function createdAt(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** go-units HumanDuration: "Less than a second", "5 seconds", "About a minute", "3 hours", "2 weeks"… */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

function sizeText(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)}GB` : `${Math.round(bytes / 1e6)}MB`;
}

function exitCodeOf(c: DockerContainer): number {
  const u = c.unit;
  if (u.execMainExit === 0) return 0;
  // systemd's code 2/3 is "killed"/"dumped": Docker reports 128 + the signal.
  return u.execMainCode === 1 ? u.execMainStatus : 128 + u.execMainStatus;
}

function stateOf(model: DockerModel, c: DockerContainer): string {
  if (model.restarting(c)) return 'restarting';
  if (model.running(c)) return 'running';
  return c.everStarted ? 'exited' : 'created';
}

function statusText(model: DockerModel, c: DockerContainer, now: number): string {
  const state = stateOf(model, c);
  if (state === 'running') return `Up ${humanDuration(now - (c.unit.execMainStart || now))}`;
  if (state === 'restarting')
    return `Restarting (${exitCodeOf(c)}) ${humanDuration(now - c.unit.execMainExit)} ago`;
  if (state === 'exited') return `Exited (${exitCodeOf(c)}) ${humanDuration(now - c.unit.execMainExit)} ago`;
  return 'Created';
}

const LABELS = (): Record<string, string> => ({
  'com.docker.compose.config-hash': 'b6f0c2d41e8a9f3c7d2e1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d',
  'com.docker.compose.container-number': '1',
  'com.docker.compose.oneoff': 'False',
  'com.docker.compose.project': TRANSCODER.composeProject,
  'com.docker.compose.project.config_files': TRANSCODER.composeFile,
  'com.docker.compose.project.working_dir': '/opt/xg2g',
  'com.docker.compose.service': TRANSCODER.composeService,
  'com.docker.compose.version': '2.29.7',
});

const ENTRYPOINT = '/usr/local/bin/xg2g-transcoder';

/** What `ps` shows as Image: the name it was created from, or the image id once that name moved elsewhere. */
function psImage(model: DockerModel, c: DockerContainer): string {
  return model.findImage(c.imageRef)?.id === c.imageId ? c.imageRef : c.imageId.slice(7, 19);
}

function psLine(model: DockerModel, c: DockerContainer, now: number): string {
  return goJson({
    Command: `"${ENTRYPOINT.slice(0, 19)}…"`,
    CreatedAt: createdAt(c.createdMs),
    ID: c.id.slice(0, 12),
    Image: psImage(model, c),
    Labels: Object.entries(LABELS())
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    LocalVolumes: '0',
    Mounts: '',
    Names: c.name,
    Networks: 'host',
    Ports: '',
    RunningFor: `${humanDuration(now - c.createdMs)} ago`,
    Size: '0B',
    State: stateOf(model, c),
    Status: statusText(model, c, now),
  });
}

export function inspectContainer(model: DockerModel, c: DockerContainer): Record<string, unknown> {
  const state = stateOf(model, c);
  const running = state === 'running' || state === 'restarting';
  const u = c.unit;
  return {
    Id: c.id,
    Created: isoNano(c.createdMs),
    Path: ENTRYPOINT,
    Args: [],
    State: {
      Status: state,
      Running: running,
      Paused: false,
      Restarting: state === 'restarting',
      OOMKilled: false,
      Dead: false,
      Pid: state === 'running' ? u.mainPid : 0,
      ExitCode: state === 'running' ? 0 : exitCodeOf(c),
      Error: '',
      StartedAt: isoNano(u.execMainStart),
      FinishedAt: isoNano(u.execMainExit),
    },
    Image: c.imageId,
    ResolvConfPath: `/var/lib/docker/containers/${c.id}/resolv.conf`,
    HostnamePath: `/var/lib/docker/containers/${c.id}/hostname`,
    HostsPath: `/var/lib/docker/containers/${c.id}/hosts`,
    LogPath: `/var/lib/docker/containers/${c.id}/${c.id}-json.log`,
    Name: `/${c.name}`,
    RestartCount: model.restartCount(c),
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: 'docker-default',
    ExecIDs: null,
    HostConfig: {
      NetworkMode: 'host',
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      AutoRemove: false,
      Devices: [{ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }],
      Privileged: false,
    },
    Mounts: [],
    Config: {
      Hostname: model.logs.hostname,
      Tty: true,
      OpenStdin: true,
      StdinOnce: false,
      Env: [`XG2G_LISTEN=127.0.0.1:${TRANSCODER.httpPort}`, 'RUST_LOG=info'],
      Cmd: null,
      Image: c.imageRef,
      Entrypoint: [ENTRYPOINT],
      Labels: LABELS(),
    },
    NetworkSettings: { Networks: { host: { NetworkID: 'host', IPAddress: '' } } },
  };
}

export function inspectImage(image: DockerImage): Record<string, unknown> {
  const [repo] = (image.tags[0] ?? '').split(':');
  return {
    Id: image.id,
    RepoTags: image.tags,
    RepoDigests: [],
    Parent: '',
    Comment: 'buildkit.dockerfile.v0',
    Created: isoNano(image.createdMs),
    DockerVersion: '',
    Author: '',
    Config: {
      Env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'LIBVA_DRIVER_NAME=radeonsi',
      ],
      Entrypoint: [ENTRYPOINT],
      ExposedPorts: { [`${TRANSCODER.httpPort}/tcp`]: {} },
      Labels: {
        'org.opencontainers.image.title': repo || TRANSCODER.repository,
        'org.opencontainers.image.version': image.version,
      },
    },
    Architecture: 'amd64',
    Os: 'linux',
    Size: image.sizeBytes,
    RootFS: { Type: 'layers', Layers: [image.id] },
  };
}

function imageLines(model: DockerModel, now: number): string {
  const rows: string[] = [];
  for (const image of [...model.images].sort((a, b) => b.createdMs - a.createdMs)) {
    const tags = image.tags.length > 0 ? image.tags : ['<none>:<none>'];
    for (const tag of tags) {
      const colon = tag.lastIndexOf(':');
      rows.push(
        goJson({
          Containers: 'N/A',
          CreatedAt: createdAt(image.createdMs),
          CreatedSince: `${humanDuration(now - image.createdMs)} ago`,
          Digest: '<none>',
          ID: image.id.slice(7, 19),
          Repository: tag.slice(0, colon),
          SharedSize: 'N/A',
          Size: sizeText(image.sizeBytes),
          Tag: tag.slice(colon + 1),
          UniqueSize: 'N/A',
          VirtualSize: sizeText(image.sizeBytes),
        }),
      );
    }
  }
  return rows.map((r) => `${r}\n`).join('');
}

/** `--since`: RFC3339 (with or without fraction/zone), Unix seconds, or a Go duration back from now (`42m`). */
export function parseSince(value: string, now: number): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^((\d+(\.\d+)?)(h|m|s|ms))+$/.test(value);
  if (duration) {
    let total = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
      const n = Number(m[1]);
      total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    }
    return now - total;
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value)) {
    const withZone = /T/.test(value) && !/(Z|[+-]\d{2}:\d{2})$/.test(value) ? `${value}Z` : value;
    const t = Date.parse(withZone);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function checkFormat(format: string | undefined, required: boolean): CommandOutcome | undefined {
  if (format === undefined)
    return required ? refuse(`only --format '${JSON_FORMAT}' output is emulated, not the table`) : undefined;
  if (format.trim() !== JSON_FORMAT) return refuse(`unsupported --format ${JSON.stringify(format)}`);
  return undefined;
}

const PS_OPTIONS: OptionSpec[] = [
  { long: 'all', short: 'a', arg: 'none' },
  { long: 'filter', short: 'f', arg: 'required' },
  { long: 'format', arg: 'required' },
  { long: 'no-trunc', arg: 'none' },
];

function ps(model: DockerModel, argv: string[], now: number): CommandOutcome {
  const parsed = scanArgs('docker ps', argv, PS_OPTIONS);
  if (parsed.positionals.length > 0) return refuse(`ps takes no arguments, got ${parsed.positionals[0]}`);
  const bad = checkFormat(last(parsed, 'format'), true);
  if (bad) return bad;
  const c = model.container;
  if (!c) return done(0);
  if (!has(parsed, 'all') && !model.running(c) && !model.restarting(c)) return done(0);
  for (const filter of values(parsed, 'filter')) {
    const eq = filter.indexOf('=');
    const key = filter.slice(0, eq);
    const value = filter.slice(eq + 1);
    if (eq < 0)
      return fail(
        1,
        `invalid argument "${filter}" for "-f, --filter" flag: bad format of filter (expected name=value)`,
      );
    if (key === 'name') {
      let re: RegExp;
      try {
        re = new RegExp(value);
      } catch {
        return fail(1, `Error response from daemon: invalid filter 'name=${value}'`);
      }
      if (!re.test(c.name)) return done(0);
    } else if (key === 'status') {
      if (stateOf(model, c) !== value) return done(0);
    } else if (key === 'id') {
      if (!c.id.startsWith(value)) return done(0);
    } else return refuse(`the ${key}= filter is not emulated (name=, status=, id= are)`);
  }
  return done(0, `${psLine(model, c, now)}\n`);
}

function inspect(model: DockerModel, argv: string[]): CommandOutcome {
  const parsed = scanArgs('docker inspect', argv, [
    { long: 'format', short: 'f', arg: 'required' },
    { long: 'type', arg: 'required' },
  ]);
  const format = last(parsed, 'format');
  const bad = checkFormat(format, false);
  if (bad) return bad;
  if (parsed.positionals.length === 0) return fail(1, '"docker inspect" requires at least 1 argument.');
  const type = last(parsed, 'type');
  const found: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const ref of parsed.positionals) {
    const c = type === 'image' ? undefined : model.findContainer(ref);
    const image = c || type === 'container' ? undefined : model.findImage(ref);
    if (c) found.push(inspectContainer(model, c));
    else if (image) found.push(inspectImage(image));
    else missing.push(ref);
  }
  const stdout = format !== undefined ? found.map((v) => `${goJson(v)}\n`).join('') : `${goJson(found, 4)}\n`;
  if (missing.length > 0)
    return done(1, stdout, missing.map((m) => `Error: No such object: ${m}`).join('\n'));
  return done(0, stdout);
}

function imageInspect(model: DockerModel, argv: string[]): CommandOutcome {
  const parsed = scanArgs('docker image inspect', argv, [{ long: 'format', short: 'f', arg: 'required' }]);
  const format = last(parsed, 'format');
  const bad = checkFormat(format, false);
  if (bad) return bad;
  if (parsed.positionals.length === 0) return fail(1, '"docker image inspect" requires at least 1 argument.');
  const found: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const ref of parsed.positionals) {
    const image = model.findImage(ref);
    if (image) found.push(inspectImage(image));
    else missing.push(ref);
  }
  const stdout = format !== undefined ? found.map((v) => `${goJson(v)}\n`).join('') : `${goJson(found, 4)}\n`;
  if (missing.length > 0) return done(1, stdout, missing.map((m) => `Error: No such image: ${m}`).join('\n'));
  return done(0, stdout);
}

function logLine(entry: JournalEntry, timestamps: boolean): string {
  // The compose file gives the container a TTY: one stream, lines end in \r\n.
  return `${timestamps ? `${rfc3339Nano(entry.realtimeUs)} ` : ''}${entry.message}\r\n`;
}

function logs(model: DockerModel, argv: string[], now: number): CommandOutcome {
  const parsed = scanArgs('docker logs', argv, [
    { long: 'timestamps', short: 't', arg: 'none' },
    { long: 'follow', short: 'f', arg: 'none' },
    { long: 'since', arg: 'required' },
    { long: 'until', arg: 'required' },
    { long: 'tail', short: 'n', arg: 'required' },
    { long: 'details', arg: 'none' },
  ]);
  if (parsed.positionals.length !== 1) return fail(1, '"docker logs" requires exactly 1 argument.');
  const ref = parsed.positionals[0] as string;
  const c = model.findContainer(ref);
  if (!c) return fail(1, `Error response from daemon: No such container: ${ref}`);
  const sinceText = last(parsed, 'since');
  const since = sinceText === undefined ? undefined : parseSince(sinceText, now);
  if (sinceText !== undefined && since === undefined)
    return fail(1, `invalid value for "since": failed to parse value as time or duration: "${sinceText}"`);
  const untilText = last(parsed, 'until');
  const until = untilText === undefined ? undefined : parseSince(untilText, now);
  if (untilText !== undefined && until === undefined)
    return fail(1, `invalid value for "until": failed to parse value as time or duration: "${untilText}"`);
  const tailText = last(parsed, 'tail') ?? 'all';
  if (tailText !== 'all' && !/^\d+$/.test(tailText))
    return fail(1, `invalid value for "tail": ${JSON.stringify(tailText)} is not a number or "all"`);
  const timestamps = has(parsed, 'timestamps');
  const inWindow = (e: JournalEntry): boolean =>
    (since === undefined || e.realtimeUs / 1000 >= since) &&
    (until === undefined || e.realtimeUs / 1000 <= until);
  let backlog = model.entries(c).filter(inWindow);
  if (tailText !== 'all') backlog = Number(tailText) === 0 ? [] : backlog.slice(-Number(tailText));
  const text = backlog.map((e) => logLine(e, timestamps)).join('');
  if (!has(parsed, 'follow') || until !== undefined || !model.running(c)) return done(0, text);
  return {
    kind: 'stream',
    follow(write, end) {
      write(text);
      const unsubscribe = model.logs.subscribe((e) => {
        if (model.isContainerLine(c, e)) write(logLine(e, timestamps));
      });
      const finish = (): void => {
        unsubscribe();
        end?.();
      };
      c.followers.add(finish);
      return () => {
        unsubscribe();
        c.followers.delete(finish);
      };
    },
  };
}

async function startStop(model: DockerModel, verb: string, names: string[]): Promise<CommandOutcome> {
  if (names.length === 0) return fail(1, `"docker ${verb}" requires at least 1 argument.`);
  let out = '';
  const errors: string[] = [];
  for (const name of names) {
    if (!model.findContainer(name)) {
      errors.push(`Error response from daemon: No such container: ${name}`);
      continue;
    }
    if (verb === 'start') await model.start();
    else if (verb === 'stop') await model.stop();
    else await model.restart();
    out += `${name}\n`;
  }
  if (errors.length > 0) {
    errors.push(
      `Error: failed to ${verb} containers: ${names.filter((n) => !model.findContainer(n)).join(', ')}`,
    );
    return done(1, out, errors.join('\n'));
  }
  return done(0, out);
}

function tag(model: DockerModel, argv: string[]): CommandOutcome {
  if (argv.length !== 2) return fail(1, '"docker tag" requires exactly 2 arguments.');
  const [src, dst] = argv as [string, string];
  if (!/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/.test(dst))
    return fail(
      1,
      `Error parsing reference: "${dst}" is not a valid repository/tag: invalid reference format`,
    );
  const image = model.findImage(src);
  if (!image) return fail(1, `Error response from daemon: No such image: ${src}`);
  model.tag(image, dst);
  return done(0);
}

async function compose(model: DockerModel, argv: string[]): Promise<CommandOutcome> {
  const parsed = scanArgs('docker compose', argv, [
    { long: 'file', short: 'f', arg: 'required' },
    { long: 'detach', short: 'd', arg: 'none' },
    { long: 'force-recreate', arg: 'none' },
    { long: 'project-name', short: 'p', arg: 'required' },
  ]);
  const [verb, ...services] = parsed.positionals;
  if (verb !== 'up' || !has(parsed, 'detach') || !has(parsed, 'force-recreate'))
    return refuse(
      `compose ${parsed.positionals.join(' ') || '(nothing)'}: only "compose -f FILE up -d --force-recreate [SERVICE]" is emulated`,
    );
  const file = last(parsed, 'file') ?? 'compose.yaml';
  if (!existsSync(file)) return fail(1, `open ${file}: no such file or directory`);
  const text = readFileSync(file, 'utf8');
  for (const s of services) if (s !== TRANSCODER.composeService) return fail(1, `no such service: ${s}`);
  const ref = composeImage(text, TRANSCODER.composeService);
  if (!ref)
    return fail(
      1,
      `service "${TRANSCODER.composeService}" has neither an image nor a build context specified: invalid compose project`,
    );
  const image = model.findImage(ref);
  if (!image)
    return fail(
      1,
      ` ${TRANSCODER.composeService} Pulling \n ${TRANSCODER.composeService} Error pull access denied for ${ref.split(':')[0]}, repository does not exist or may require 'docker login'\nError response from daemon: pull access denied for ${ref.split(':')[0]}, repository does not exist or may require 'docker login'`,
    );
  await model.recreate(image, ref);
  const name = TRANSCODER.container;
  return done(
    0,
    '',
    [
      ` Container ${name}  Recreate`,
      ` Container ${name}  Recreated`,
      ` Container ${name}  Starting`,
      ` Container ${name}  Started`,
    ].join('\n'),
  );
}

/** The `docker` command (device-command.sh forwards argv and uid to the daemon, which calls this). */
export function dockerCommand(
  model: DockerModel,
): (ctx: CommandContext, argv: string[]) => Promise<CommandOutcome> {
  return async (ctx, argv) => {
    if (ctx.uid !== 0)
      return fail(
        1,
        'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: ' +
          'Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.48/containers/json": dial unix /var/run/docker.sock: connect: permission denied',
      );
    const now = Date.now();
    const [verb, ...rest] = argv;
    try {
      switch (verb) {
        case 'ps':
          return ps(model, rest, now);
        case 'inspect':
          return inspect(model, rest);
        case 'logs':
          return logs(model, rest, now);
        case 'start':
        case 'stop':
        case 'restart':
          return await startStop(
            model,
            verb,
            rest.filter((a) => !a.startsWith('-')),
          );
        case 'images':
          return (
            checkFormat(
              last(
                scanArgs('docker images', rest, [
                  { long: 'format', arg: 'required' },
                  { long: 'all', short: 'a', arg: 'none' },
                ]),
                'format',
              ),
              true,
            ) ?? done(0, imageLines(model, now))
          );
        case 'image':
          if (rest[0] === 'inspect') return imageInspect(model, rest.slice(1));
          if (rest[0] === 'ls')
            return (
              checkFormat(
                last(
                  scanArgs('docker image ls', rest.slice(1), [{ long: 'format', arg: 'required' }]),
                  'format',
                ),
                true,
              ) ?? done(0, imageLines(model, now))
            );
          return refuse(`image ${rest[0] ?? ''} is not emulated`);
        case 'tag':
          return tag(model, rest);
        case 'compose':
          return await compose(model, rest);
        case undefined:
          return refuse('no command given');
        default:
          return refuse(`'${verb}' is not emulated`);
      }
    } catch (err) {
      if (err instanceof ArgError) return fail(1, `${err.message}\nSee 'docker ${verb} --help'.`);
      throw err;
    }
  };
}
