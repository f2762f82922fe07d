/**
 * Drafted nodes per verification pass that suit a device, for `dynamoTreeDrafter` / `ngramDrafter`.
 *
 * On a CPU (and WASM) every drafted node is a row of real arithmetic in the verification pass: a
 * 13-node tree pass costs ~4x a one-token pass on the reference model, so the budget that gives the
 * most tokens/s is small — 8 measured best against 4, 12 and 16 (docs/benchmarks/generation.md).
 * On a GPU (WebGPU, CUDA) a small model's pass is dispatch-bound and extra rows are nearly free, so
 * bigger trees pay; 24 there is a choice, not a measurement (no GPU was available to measure it).
 */
export const TREE_BUDGETS: Readonly<Record<string, number>> = { cpu: 8, wasm: 8, webgpu: 24, cuda: 24 };

/** The default tree budget when the device is unknown (the CPU's: the conservative one). */
export const DEFAULT_TREE_BUDGET = 8;

/** The tree budget for a device name ('cpu', 'wasm', 'webgpu', 'cuda'); unknown names get the CPU's. */
export function recommendedTreeBudget(device: string | undefined): number {
  return (device !== undefined && TREE_BUDGETS[device.toLowerCase()]) || DEFAULT_TREE_BUDGET;
}
