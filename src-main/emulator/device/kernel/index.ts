export { KernelLog, formatTimestamp, isKernelLevel, levelPriority, KERNEL_LEVELS } from './log.js';
export type { KernelLevel, KernelLine, KernelLineListener } from './log.js';
export { KernelModel, isPanicConfig, vpuKindOf } from './model.js';
export type {
  KernelModelOptions,
  KillSignal,
  VpuOpenRequest,
  VpuOpenResult,
  VpuSessionView,
  WedgeResult,
} from './model.js';
export { debugfsSessionText, procFiles, procSessionsInfoText, procSessionsSummaryText } from './vpu-files.js';
export type { VpuDevice, VpuKind, VpuPropValue, VpuSession } from './vpu-files.js';
export { KERNEL_RELEASE, HARDWARE_NAME, MPP_VERSION, RKVENC_CORES, RKVDEC_CORES } from './text.js';
export { findPipelinePidsByLabel, gstLaunchArgs, pipelineLabel } from './pipeline-label.js';
export { handleKernelApi } from './api.js';
export type { ApiResponse } from './api.js';
