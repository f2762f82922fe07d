import { DynamoError, DynamoErrorCode } from '@dynamojs/core';

/** Execution devices. Node (onnxruntime-node): cpu, cuda, webgpu. Browser (onnxruntime-web): webgpu, wasm. */
export type DeviceName = 'cpu' | 'cuda' | 'webgpu' | 'wasm';
export type DeviceRequest = 'auto' | DeviceName;
export const DEVICE_NAMES: readonly DeviceName[] = ['cpu', 'cuda', 'webgpu', 'wasm'];

/**
 * Whether a device can be tried: `true`, or a string saying why not (shown in the device report
 * and in DYNAMO_DEVICE_UNAVAILABLE). Injectable through `LoadOptions.deviceProbe`, so tests and
 * apps can rule a device out.
 */
export type DeviceAvailability = true | string;
export type DeviceProbe = (device: DeviceName) => DeviceAvailability | Promise<DeviceAvailability>;

export interface DeviceAttempt {
  readonly device: DeviceName;
  /** `'chosen'`, or why the device was passed over. */
  readonly outcome: 'chosen' | 'unavailable' | 'failed';
  /** Why it was unavailable or failed (the probe's reason or the runtime's error message). */
  readonly reason?: string;
}

/** What `device` resolved to and why each better device was skipped. */
export interface DeviceReport {
  readonly requested: DeviceRequest;
  readonly chosen: DeviceName;
  /** Every device tried, best first, ending with the chosen one. */
  readonly attempts: readonly DeviceAttempt[];
  /** One line for logs, e.g. "cpu (auto; cuda: not installed; webgpu: no adapter)". */
  readonly summary: string;
}

/** What a platform (Node / browser) knows about its devices. */
export interface DevicePlatform {
  readonly name: 'node' | 'web';
  /** Devices this platform can run, best first: the order `'auto'` tries. */
  readonly autoOrder: readonly DeviceName[];
  /** Default availability check (cheap; the session creation is the real test). */
  readonly probe: DeviceProbe;
  /** Set in `'auto'` only: a device that is available but should not be picked automatically. */
  readonly autoProbe?: DeviceProbe;
}

export function deviceUnavailable(device: DeviceName, reason: string, cause?: unknown): DynamoError {
  return new DynamoError(DynamoErrorCode.DEVICE_UNAVAILABLE, `Device "${device}" is unavailable: ${reason}`, {
    details: { option: 'device', actual: device, reason },
    ...(cause !== undefined && { cause }),
  });
}

function summarize(requested: DeviceRequest, chosen: DeviceName, attempts: readonly DeviceAttempt[]): string {
  const skipped = attempts.filter((a) => a.outcome !== 'chosen').map((a) => `${a.device}: ${a.reason ?? a.outcome}`);
  return `${chosen} (${[requested === 'auto' ? 'auto' : 'requested', ...skipped].join('; ')})`;
}

/**
 * Picks a device and opens a session on it. `open(device)` creates the session (and throws the
 * runtime's error when the device cannot start). For `'auto'`, tries `platform.autoOrder` in turn
 * and never throws for a missing accelerator; only when the last device (cpu / wasm) fails too does
 * it rethrow that error. An explicit device that is unavailable or fails → DYNAMO_DEVICE_UNAVAILABLE.
 */
export async function selectDevice<T>(
  requested: DeviceRequest,
  platform: DevicePlatform,
  open: (device: DeviceName) => Promise<T>,
  probe: DeviceProbe = platform.probe,
  onModelError: (error: unknown) => boolean = () => false,
): Promise<{ value: T; report: DeviceReport }> {
  if (requested !== 'auto') {
    if (!platform.autoOrder.includes(requested)) {
      throw deviceUnavailable(
        requested,
        `not supported by the ${platform.name} runtime (supported: ${platform.autoOrder.join(', ')}; ` +
          `use @dynamojs/onnx/${requested === 'wasm' ? 'web' : 'node'} for "${requested}")`,
      );
    }
    const available = await safeProbe(probe, requested);
    if (available !== true) throw deviceUnavailable(requested, available);
    try {
      const value = await open(requested);
      const attempts = [{ device: requested, outcome: 'chosen' as const }];
      return {
        value,
        report: { requested, chosen: requested, attempts, summary: summarize(requested, requested, attempts) },
      };
    } catch (error) {
      if (onModelError(error)) throw error;
      throw deviceUnavailable(requested, errorMessage(error), error);
    }
  }
  const attempts: DeviceAttempt[] = [];
  const order = platform.autoOrder;
  for (let i = 0; i < order.length; i++) {
    const device = order[i] as DeviceName;
    const last = i === order.length - 1;
    let available = await safeProbe(probe, device);
    if (available === true && !last && platform.autoProbe) available = await safeProbe(platform.autoProbe, device);
    if (available !== true) {
      if (last) throw deviceUnavailable(device, `${available} (and every better device was skipped)`);
      attempts.push({ device, outcome: 'unavailable', reason: available });
      continue;
    }
    try {
      const value = await open(device);
      attempts.push({ device, outcome: 'chosen' });
      return {
        value,
        report: { requested, chosen: device, attempts, summary: summarize(requested, device, attempts) },
      };
    } catch (error) {
      if (last || onModelError(error)) throw error;
      attempts.push({ device, outcome: 'failed', reason: errorMessage(error) });
    }
  }
  throw new DynamoError(DynamoErrorCode.INTERNAL, 'No device to try.');
}

async function safeProbe(probe: DeviceProbe, device: DeviceName): Promise<DeviceAvailability> {
  try {
    const r = await probe(device);
    return r === true ? true : typeof r === 'string' && r.length > 0 ? r : 'unavailable';
  } catch (error) {
    return errorMessage(error);
  }
}

/** The first line of a runtime error, without ONNX Runtime's source-path prefix. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? text;
  return line
    .replace(/^\/onnxruntime_src\/\S+\s+/, '') // source location
    .replace(/^.*? was false\.\s+/, '') // ORT_ENFORCE's condition text
    .slice(0, 500);
}
