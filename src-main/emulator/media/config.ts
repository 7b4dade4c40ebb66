/**
 * Command-line flags of the MediaMTX stand-in. Every port is configurable so tests can run it on the host
 * loopback next to anything else; the defaults are the R58's.
 */
import { existsSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { applyConfigFile, DEFAULT_CONFIG_FILE } from './config-file.js';

export interface MediaServerConfig {
  rtspPort: number;
  rtspHost: string;
  whepPort: number;
  whepHost: string;
  apiPort: number;
  apiHost: string;
  /** The one TCP port for ICE-TCP (MediaMTX `webrtcLocalTCPAddress`); 0 turns ICE-TCP off. */
  iceTcpPort: number;
  /** UDP ports for ICE host candidates; undefined means any free port. */
  iceUdpPortRange: [number, number] | undefined;
  /** Extra addresses to offer as host candidates (MediaMTX `webrtcAdditionalHosts`), e.g. 127.0.0.1 in tests. */
  iceAdditionalHosts: string[];
  /** Offer only these addresses (instead of every non-loopback IPv4 address of the machine). */
  iceHosts: string[] | undefined;
  hlsPort: number;
  /** hlssink2's target duration: segments are cut at the first keyframe after this many seconds. */
  hlsSegmentDuration: number;
  /** Seconds without any request before a path's HLS muxer stops (MediaMTX `hlsMuxerCloseAfter`, 60 s there). */
  hlsCloseAfter: number;
  /** The real gst-launch-1.0 (not the device's wrapper in /usr/local/bin, which counts VPU sessions). */
  gstLaunch: string;
  /** A MediaMTX config file whose known keys override the flags (config-file.ts); undefined: none. */
  configFile: string | undefined;
  paths: string[];
  /** How a new WHEP reader starts: with the last keyframe at once, or at the next keyframe. */
  join: 'keyframe-cache' | 'next-keyframe';
  /** Seconds a WHEP session may take to connect before it is dropped. */
  handshakeTimeout: number;
  /** Seconds without any RTCP from a connected reader before it is dropped. */
  readerTimeout: number;
  python: string;
  debug: boolean;
}

export const defaultConfig: MediaServerConfig = {
  rtspPort: 8554,
  rtspHost: '0.0.0.0',
  whepPort: 8889,
  whepHost: '0.0.0.0',
  apiPort: 9997,
  apiHost: '127.0.0.1',
  iceTcpPort: 8189,
  iceUdpPortRange: undefined,
  iceAdditionalHosts: [],
  iceHosts: undefined,
  hlsPort: 8888,
  hlsSegmentDuration: 1,
  hlsCloseAfter: 10,
  gstLaunch: '/usr/bin/gst-launch-1.0',
  configFile: undefined,
  paths: ['cam0', 'cam1', 'cam2', 'cam3', 'program'],
  join: 'keyframe-cache',
  handshakeTimeout: 10,
  readerTimeout: 10,
  python: '/usr/bin/python3',
  debug: false,
};

export const usage = `usage: main.ts [--rtsp-port N] [--rtsp-host A] [--whep-port N] [--whep-host A] [--api-port N]
  [--api-host A] [--ice-tcp-port N] [--ice-udp-port-range MIN-MAX] [--ice-additional-hosts A,B]
  [--ice-hosts A,B] [--hls-port N] [--hls-segment-duration S] [--hls-close-after S] [--gst-launch PATH]
  [--config FILE|none] [--paths cam0,cam1,…] [--join keyframe-cache|next-keyframe]
  [--handshake-timeout S] [--reader-timeout S] [--python PATH] [--debug]`;

const KNOWN_FLAGS = new Set([
  '--rtsp-port',
  '--rtsp-host',
  '--whep-port',
  '--whep-host',
  '--api-port',
  '--api-host',
  '--ice-tcp-port',
  '--ice-udp-port-range',
  '--ice-additional-hosts',
  '--ice-hosts',
  '--hls-port',
  '--hls-segment-duration',
  '--hls-close-after',
  '--gst-launch',
  '--config',
  '--paths',
  '--join',
  '--handshake-timeout',
  '--reader-timeout',
  '--python',
]);

const PATH_NAME = /^[A-Za-z0-9_.~-]{1,64}$/;

function port(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 65535)
    throw new Error(`${flag}: bad port '${value}'`);
  return n;
}

function address(flag: string, value: string): string {
  if (!isIPv4(value)) throw new Error(`${flag}: not an IPv4 address: '${value}'`);
  return value;
}

function addresses(flag: string, value: string): string[] {
  return value
    .split(',')
    .filter((s) => s !== '')
    .map((s) => address(flag, s));
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: bad duration '${value}'`);
  return n;
}

/** Parses argv (without node and script). Throws an Error with a readable message on bad input. */
export function parseArgs(argv: readonly string[]): MediaServerConfig {
  const config: MediaServerConfig = { ...defaultConfig, iceAdditionalHosts: [] };
  let configFile: string | undefined = existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--debug') {
      config.debug = true;
      continue;
    }
    if (!KNOWN_FLAGS.has(flag)) throw new Error(`unknown flag '${flag}'`);
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    i++;
    switch (flag) {
      case '--rtsp-port':
        config.rtspPort = port(flag, value);
        break;
      case '--rtsp-host':
        config.rtspHost = address(flag, value);
        break;
      case '--whep-port':
        config.whepPort = port(flag, value);
        break;
      case '--whep-host':
        config.whepHost = address(flag, value);
        break;
      case '--api-port':
        config.apiPort = port(flag, value);
        break;
      case '--api-host':
        config.apiHost = address(flag, value);
        break;
      case '--ice-tcp-port':
        config.iceTcpPort = port(flag, value, true);
        break;
      case '--ice-udp-port-range': {
        const m = /^(\d+)-(\d+)$/.exec(value);
        if (!m) throw new Error(`${flag}: expected MIN-MAX`);
        const lo = port(flag, m[1] ?? '');
        const hi = port(flag, m[2] ?? '');
        if (hi <= lo) throw new Error(`${flag}: MAX must be above MIN`);
        config.iceUdpPortRange = [lo, hi];
        break;
      }
      case '--ice-additional-hosts':
        config.iceAdditionalHosts = addresses(flag, value);
        break;
      case '--ice-hosts':
        config.iceHosts = addresses(flag, value);
        break;
      case '--hls-port':
        config.hlsPort = port(flag, value, true);
        break;
      case '--hls-segment-duration': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 60) throw new Error(`${flag}: whole seconds from 1 to 60`);
        config.hlsSegmentDuration = n;
        break;
      }
      case '--hls-close-after':
        config.hlsCloseAfter = seconds(flag, value);
        break;
      case '--gst-launch':
        config.gstLaunch = value;
        break;
      case '--config':
        configFile = value === 'none' ? undefined : value;
        break;
      case '--paths': {
        const names = value.split(',').filter((s) => s !== '');
        for (const name of names)
          if (!PATH_NAME.test(name)) throw new Error(`${flag}: bad path name '${name}'`);
        if (names.length === 0) throw new Error(`${flag}: no paths`);
        config.paths = [...new Set(names)];
        break;
      }
      case '--join':
        if (value !== 'keyframe-cache' && value !== 'next-keyframe') throw new Error(`${flag}: bad value`);
        config.join = value;
        break;
      case '--handshake-timeout':
        config.handshakeTimeout = seconds(flag, value);
        break;
      case '--reader-timeout':
        config.readerTimeout = seconds(flag, value);
        break;
      case '--python':
        config.python = value;
        break;
      default:
        throw new Error(`unknown flag '${flag}'`);
    }
  }
  if (configFile !== undefined) applyConfigFile(config, configFile);
  return config;
}
