/** The ad-hoc pipeline forms: the seeds' Test 1 encode and a typed pipeline, as the contract's PipelineRequest. */
import type { PipelineRequestInput, Preset } from '../../src-main/contract/index.js';
import { presetEncoder } from './encoder-text.js';

/** Seed 001's Test 1: 300 buffers of 1920x1080@30 through the encoder into a fakesink. */
export interface TestEncodeForm {
  preset: Preset['id'];
  width: string;
  height: string;
  framerate: string;
  buffers: string;
}

export type TestEncodeField = 'encoder' | 'width' | 'height' | 'framerate' | 'buffers';

export const TEST_ENCODE_FIELDS: Readonly<Record<TestEncodeField, readonly string[]>> = {
  encoder: ['pipeline.encoder', 'pipeline.kind', 'pipeline'],
  width: ['pipeline.width'],
  height: ['pipeline.height'],
  framerate: ['pipeline.framerate'],
  buffers: ['pipeline.buffers'],
};

export const TYPED_FIELDS: Readonly<Record<'text', readonly string[]>> = {
  text: ['pipeline.text', 'pipeline', 'text'],
};

export function test1Form(): TestEncodeForm {
  return { preset: 'h264-hw', width: '1920', height: '1080', framerate: '30', buffers: '300' };
}

const WHAT: Record<Exclude<TestEncodeField, 'encoder'>, string> = {
  width: 'The width is a whole number of pixels, for example 1920.',
  height: 'The height is a whole number of pixels, for example 1080.',
  framerate: 'The frame rate is a whole number of frames a second, for example 30.',
  buffers: 'Buffers is a whole number of frames to encode, for example 300 (0 runs until stopped).',
};

/**
 * The request, or per-field messages for text that is not a whole number at all. Ranges are the core's to judge:
 * its messages come back as `fields` and land on the same fields.
 */
export function testEncodeRequest(
  deviceId: string,
  form: TestEncodeForm,
  preset: Preset,
): { request: PipelineRequestInput } | { errors: Partial<Record<TestEncodeField, string>> } {
  const errors: Partial<Record<TestEncodeField, string>> = {};
  const whole = (field: Exclude<TestEncodeField, 'encoder'>): number => {
    const t = form[field].trim();
    if (!/^\d+$/.test(t)) errors[field] = WHAT[field];
    return Number(t);
  };
  const width = whole('width');
  const height = whole('height');
  const framerate = whole('framerate');
  const buffers = whole('buffers');
  if (Object.keys(errors).length > 0) return { errors };
  return {
    request: {
      deviceId,
      pipeline: { kind: 'test-encode', encoder: presetEncoder(preset), width, height, framerate, buffers },
    },
  };
}

export function typedRequest(deviceId: string, text: string): PipelineRequestInput {
  return { deviceId, pipeline: { kind: 'typed', text: text.trim() } };
}
