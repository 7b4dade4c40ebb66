/**
 * The kernel model's part of the device daemon API, as a plain request → response function, so the daemon (and the
 * tests' stand-in daemon) can mount it on any HTTP server without repeating the validation.
 *
 * Routes (bodies JSON unless said):
 *   POST /vpu/open    {pid, element, kind?, props?, label?, comm?} → 200 {ok:true, session} | 409 {ok:false, reason}
 *   POST /vpu/close   {pid, session?}                              → 200 {ok:true, closed} (one session, or all of pid's)
 *   GET  /vpu/sessions                                             → 200 [{session, pid, element, kind, label, wedged, …}]
 *   GET  /vpu/files                                                → 200 {debugfs, proc:{…}}
 *   POST /vpu/keep, DELETE /vpu/keep                               → 200 {ok:true, keep, orphaned} (the fault on/off)
 *   POST /wedge       {label}                                      → 200 {ok, label, pids} (404 when nothing matched)
 *   POST /kernel/lines (text body)                                 → 200 {ok:true, appended}
 *   GET  /kernel/log?level=&since=                                 → 200 text, one `[ s.us] text` line each
 * Anything else → undefined (not ours).
 */
import { z } from 'zod';
import { KERNEL_LEVELS, levelPriority, type KernelLevel } from './log.js';
import type { KernelModel } from './model.js';

export interface ApiResponse {
  status: number;
  contentType: 'application/json' | 'text/plain; charset=utf-8';
  body: string;
}

const propValue = z.union([z.string(), z.number(), z.boolean()]);
const openSchema = z.object({
  pid: z.number().int().positive(),
  element: z.string().regex(/^[a-z0-9_-]+$/i),
  kind: z.enum(['enc', 'dec']).optional(),
  props: z.record(z.string(), propValue).optional(),
  label: z.string().max(200).optional(),
  comm: z.string().max(64).optional(),
});
const closeSchema = z.object({
  pid: z.number().int().positive(),
  session: z.number().int().min(0).optional(),
});
const wedgeSchema = z.object({ label: z.string().min(1).max(200) });

function json(status: number, value: unknown): ApiResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function bad(message: string): ApiResponse {
  return json(400, { ok: false, reason: message });
}

export async function handleKernelApi(
  model: KernelModel,
  method: string,
  url: string,
  body: string,
): Promise<ApiResponse | undefined> {
  const parsed = new URL(url, 'http://device');
  const route = `${method.toUpperCase()} ${parsed.pathname}`;
  switch (route) {
    case 'POST /vpu/open': {
      const req = openSchema.safeParse(parseJson(body));
      if (!req.success) return bad(req.error.issues.map((i) => i.message).join('; '));
      const result = model.open(req.data);
      return json(result.ok ? 200 : result.error === 'bad-request' ? 400 : 409, result);
    }
    case 'POST /vpu/close': {
      const req = closeSchema.safeParse(parseJson(body));
      if (!req.success) return bad('pid is required');
      return json(200, { ok: true, closed: model.close(req.data.pid, req.data.session) });
    }
    case 'GET /vpu/sessions':
      return json(200, model.sessionViews());
    case 'GET /vpu/files':
      return json(200, { debugfs: model.debugfsSessionText(), proc: model.procFiles() });
    case 'POST /vpu/keep':
    case 'DELETE /vpu/keep':
      model.setKeepSessions(route.startsWith('POST'));
      return json(200, { ok: true, keep: model.keepSessions, orphaned: model.orphanedCount });
    case 'POST /wedge': {
      const req = wedgeSchema.safeParse(parseJson(body));
      if (!req.success) return bad('label is required');
      const result = await model.wedge(req.data.label);
      return json(result.ok ? 200 : 404, result);
    }
    case 'POST /kernel/lines':
      return json(200, { ok: true, appended: model.inject(body).length });
    case 'GET /kernel/log': {
      const level = parsed.searchParams.get('level');
      const since = Number(parsed.searchParams.get('since') ?? '0');
      const max = (KERNEL_LEVELS as readonly string[]).includes(level ?? '')
        ? levelPriority(level as KernelLevel)
        : 7;
      const text = model
        .lines(Number.isFinite(since) ? since : 0)
        .filter((l) => l.priority <= max)
        .map((l) => `${l.formatted}\n`)
        .join('');
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: text };
    }
    default:
      return undefined;
  }
}
