/** The TF.js backends SegFusion can use, in the order it tries them (no TF.js import: cheap for the CLI). */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_ORDER)[number];
