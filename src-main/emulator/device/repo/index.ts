export { createRecorderRepo, RECORDER_REPO_DIR, REPO_AUTHOR } from './create.js';
export type { CreateRecorderRepoOptions, RecorderCommit, RecorderRepo } from './create.js';
export { recorderHistory } from './history.js';
export type { CommitKey, CommitPlan, HistoryOptions } from './history.js';
export { cameraSpecs, configYml, encoderFor } from './config-yml.js';
export type { CameraSpec, EncoderStage } from './config-yml.js';
