/** What the probe says about each feature: on, or off with the device's reason. */
import type { DeviceProbe } from '../../src-main/contract/index.js';

export type FeatureId = DeviceProbe['features'][number]['id'];

export const FEATURE_LABEL: Record<FeatureId, string> = {
  recorder: 'Recorder service',
  cameras: 'Cameras',
  presets: 'Encoder presets',
  recordings: 'Recordings',
  pipelines: 'Ad-hoc pipelines',
  vpu: 'VPU sessions',
};

/** Why the feature is off on this device, or null when it is on or nothing was probed yet. */
export function featureOff(probe: DeviceProbe | undefined, id: FeatureId): string | null {
  const feature = probe?.features.find((f) => f.id === id);
  if (!feature || feature.available) return null;
  return feature.reason ?? `${FEATURE_LABEL[id]} is not available on this device.`;
}
