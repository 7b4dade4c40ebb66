/**
 * What the console and Tally's mixer agent on the device (resources/device/mixer/tally_mixer.py) say to each other.
 * The agent is one long-lived Python/GStreamer process started as a detached job; it serves JSON lines on a unix
 * socket (`~/.tally/mixer/ctl.sock`), and `tally_mixer.py attach` relays the console's SSH channel to it. It also
 * writes `~/.tally/mixer/state.json` (atomically, on every change), which the console reads back after a reconnect.
 *
 *   console → agent   {"id":1,"cmd":"state"}
 *                     {"id":2,"cmd":"ping"}                                   → {"id":2,"ok":true,"now":<device epoch ms>}
 *                     {"id":3,"cmd":"preview","scene":Scene|null}             → {"id":3,"ok":true,"state":…}
 *                     {"id":4,"cmd":"take","console":"c-…","seq":17,"deadline":<device epoch ms>,
 *                      "scene":Scene|null (null: the scene on Preview),"transition":{"kind":"cut"}|{"kind":"fade","ms":800}}
 *                                                                             → {"id":4,"ok":true,"outcome":…,"message":…,"state":…}
 *                     {"id":5,"cmd":"stop"}                                   → {"id":5,"ok":true} then the agent exits 0
 *   agent → console   {"event":"state","state":AgentState}   on every change, and at least once a second (health)
 *                     {"id":n,"ok":false,"error":"…"}        a request it could not do
 *
 * The agent's start config is one JSON line on its stdin (AgentConfig); it prints `@ready <pid>` on its stdout (the
 * job's output) once the pipeline is PLAYING, or `@failed <reason>` and exits 1. After that, a program-side fault
 * (MediaMTX gone or kicking the push) rebuilds the pipeline in the same process, the socket and its clients kept:
 * meanwhile `health.problem` says so ("program output lost (…); reconnecting, attempt 2"), takes are refused, and
 * `health.restarts` counts the rebuilds. It exits 1 only after several rebuilds in a row push nothing.
 */
import { z } from 'zod';
import { MixerState, Scene, Transition } from '../../contract/index.js';

export const AgentConfig = z.object({
  output: z.object({
    width: z.number().int().min(160).max(3840),
    height: z.number().int().min(90).max(2160),
    fps: z.number().int().min(1).max(60),
    /** The MediaMTX path the program is pushed to. */
    path: z.string(),
    bitrateKbps: z.number().int().min(200).max(50_000),
  }),
  /** Where the cameras are read and the program pushed: `rtsp://127.0.0.1:8554`. */
  rtspBase: z.string(),
  /** The hardware decoder (one VPU session per input) and the software fallback. */
  decoder: z.string(),
  softwareDecoder: z.string(),
  /** Cameras decoded in software (seed 002's fallback). */
  softwareCameras: z.array(z.string()),
  /** On Program from the start. */
  program: Scene.nullable(),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

export const AgentTakeOutcome = z.enum(['applied', 'expired', 'duplicate', 'refused_inputs']);

/** What the agent reports: the contract's view of the mixer (what is on air, inputs, health) plus its own books. */
export const AgentState = MixerState.pick({
  output: true,
  program: true,
  preview: true,
  onProgram: true,
  onPreview: true,
  inputs: true,
  health: true,
}).extend({
  pid: z.number().int(),
  startedAt: z.string(),
  /** sha-256 (first 12 hex) of the agent file that runs, to tell an outdated agent. */
  version: z.string(),
  /** The last sequence number applied or refused, per console: a replay is answered `duplicate`. */
  lastSeq: z.record(z.string(), z.number().int()),
  /** The last takes (newest last, at most 50), so a console that lost an answer learns what became of it. */
  takes: z.array(
    z.object({
      console: z.string(),
      seq: z.number().int(),
      outcome: AgentTakeOutcome,
      at: z.string(),
    }),
  ),
  /** The agent is stopping (EOS sent to the program push). */
  stopping: z.boolean(),
});
export type AgentState = z.infer<typeof AgentState>;

export const AgentRequest = z.discriminatedUnion('cmd', [
  z.object({ id: z.number().int(), cmd: z.literal('state') }),
  z.object({ id: z.number().int(), cmd: z.literal('ping') }),
  z.object({ id: z.number().int(), cmd: z.literal('preview'), scene: Scene.nullable() }),
  z.object({
    id: z.number().int(),
    cmd: z.literal('take'),
    console: z.string(),
    seq: z.number().int().min(1),
    deadline: z.number(),
    scene: Scene.nullable(),
    transition: Transition,
  }),
  z.object({ id: z.number().int(), cmd: z.literal('stop') }),
]);
export type AgentRequest = z.infer<typeof AgentRequest>;

export const AgentReply = z.object({
  id: z.number().int(),
  ok: z.boolean(),
  error: z.string().nullish(),
  now: z.number().nullish(),
  outcome: AgentTakeOutcome.nullish(),
  message: z.string().nullish(),
  state: AgentState.nullish(),
});
export type AgentReply = z.infer<typeof AgentReply>;

export const AgentEvent = z.object({ event: z.literal('state'), state: AgentState });
export type AgentEvent = z.infer<typeof AgentEvent>;
