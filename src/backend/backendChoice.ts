/**
 * The TF.js backends SegFusion can use, in the order it tries them (no TF.js import: cheap for the CLI).
 * wasm-native (wasm with oneDNN convolutions) comes before tfjs-node: docs/architecture.md gives the
 * measurements behind the order.
 */
export const BACKEND_ORDER = ['tensorflow-gpu', 'wasm-native', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_ORDER)[number];
