import { type DynamoErrorCode, isDynamoError } from '@dynamojs/core';
import { type DeviceName, type DevicePlatform, selectDevice } from '@dynamojs/onnx';
import { folderSource, loadModel as loadNode, nodePlatform } from '@dynamojs/onnx/node';
import { loadModel as loadWeb, webPlatform } from '@dynamojs/onnx/web';
import { describe, expect, it } from 'vitest';
import { FIXTURE } from './helpers.js';

async function codeOf(p: Promise<unknown>): Promise<{ code: DynamoErrorCode; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(isDynamoError(e), String(e)).toBe(true);
    return e as { code: DynamoErrorCode; message: string };
  }
  throw new Error('expected a rejection');
}

const fakeNode: DevicePlatform = { name: 'node', autoOrder: ['cuda', 'webgpu', 'cpu'], probe: () => true };
const fakeWeb: DevicePlatform = { name: 'web', autoOrder: ['webgpu', 'wasm'], probe: () => true };

/** A platform where `down` devices are unavailable (probe) and `broken` ones fail to start (session). */
function scenario(platform: DevicePlatform, down: DeviceName[], broken: DeviceName[] = []) {
  const opened: DeviceName[] = [];
  const probe = (d: DeviceName) => (down.includes(d) ? `${d} is switched off` : true);
  const open = async (d: DeviceName) => {
    opened.push(d);
    if (broken.includes(d)) throw new Error(`/onnxruntime_src/x.cc:1 ${d} failed to start\nstack`);
    return `session on ${d}`;
  };
  return { probe, open, opened, platform };
}

describe('device selection (injected availability)', () => {
  const cases: [DevicePlatform, DeviceName[], DeviceName[], DeviceName][] = [
    [fakeNode, [], [], 'cuda'],
    [fakeNode, ['cuda'], [], 'webgpu'],
    [fakeNode, ['webgpu'], [], 'cuda'],
    [fakeNode, ['cuda', 'webgpu'], [], 'cpu'],
    [fakeNode, [], ['cuda'], 'webgpu'],
    [fakeNode, ['cuda'], ['webgpu'], 'cpu'],
    [fakeWeb, [], [], 'webgpu'],
    [fakeWeb, ['webgpu'], [], 'wasm'],
    [fakeWeb, [], ['webgpu'], 'wasm'],
  ];
  it.each(cases)('%# auto on %o with %o down, %o broken → chooses %s', async (platform, down, broken, want) => {
    const s = scenario(platform, down, broken);
    const { value, report } = await selectDevice('auto', platform, s.open, s.probe);
    expect(value).toBe(`session on ${want}`);
    expect(report.chosen).toBe(want);
    expect(report.requested).toBe('auto');
    // every better device is in the report with its reason
    const better = platform.autoOrder.slice(0, platform.autoOrder.indexOf(want));
    expect(report.attempts.map((a) => a.device)).toEqual([...better, want]);
    for (const a of report.attempts.slice(0, -1)) {
      expect(a.outcome).toBe(down.includes(a.device) ? 'unavailable' : 'failed');
      expect(a.reason).toBe(down.includes(a.device) ? `${a.device} is switched off` : `${a.device} failed to start`);
      expect(report.summary).toContain(`${a.device}: ${a.reason}`);
    }
    // unavailable devices are never opened
    for (const d of down) expect(s.opened).not.toContain(d);
  });

  it('auto with every device down → DYNAMO_DEVICE_UNAVAILABLE', async () => {
    const s = scenario(fakeNode, ['cuda', 'webgpu', 'cpu']);
    const e = await codeOf(selectDevice('auto', fakeNode, s.open, s.probe));
    expect(e.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
    expect(e.message).toContain('cpu is switched off');
  });

  it('auto where the last device fails → its own error (a model problem, not a device one)', async () => {
    const s = scenario(fakeWeb, ['webgpu'], ['wasm']);
    await expect(selectDevice('auto', fakeWeb, s.open, s.probe)).rejects.toThrow('wasm failed to start');
  });

  it.each(['cuda', 'webgpu', 'cpu'] as DeviceName[])(
    'explicit %s unavailable → DYNAMO_DEVICE_UNAVAILABLE with the reason',
    async (d) => {
      const s = scenario(fakeNode, [d]);
      const e = await codeOf(selectDevice(d, fakeNode, s.open, s.probe));
      expect(e.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
      expect(e.message).toContain(`${d} is switched off`);
      expect(s.opened).toEqual([]);
    },
  );

  it.each(['cuda', 'webgpu'] as DeviceName[])(
    'explicit %s that fails to start → DYNAMO_DEVICE_UNAVAILABLE with the runtime reason',
    async (d) => {
      const s = scenario(fakeNode, [], [d]);
      const e = await codeOf(selectDevice(d, fakeNode, s.open, s.probe));
      expect(e.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
      expect(e.message).toBe(`Device "${d}" is unavailable: ${d} failed to start`);
    },
  );

  it('a device of the other runtime → DYNAMO_DEVICE_UNAVAILABLE pointing at the right entry', async () => {
    const s = scenario(fakeWeb, []);
    const e = await codeOf(selectDevice('cuda', fakeWeb, s.open, s.probe));
    expect(e.message).toContain('@dynamojs/onnx/node');
    const e2 = await codeOf(selectDevice('wasm', fakeNode, s.open, s.probe));
    expect(e2.message).toContain('@dynamojs/onnx/web');
  });

  it('a throwing probe counts as unavailable', async () => {
    const s = scenario(fakeNode, []);
    const probe = (d: DeviceName): true => {
      if (d === 'cuda') throw new Error('driver exploded');
      return true;
    };
    const { report } = await selectDevice('auto', fakeNode, s.open, probe);
    expect(report.chosen).toBe('webgpu');
    expect(report.attempts[0]).toEqual({ device: 'cuda', outcome: 'unavailable', reason: 'driver exploded' });
  });
});

describe('devices on this machine (onnxruntime-node, onnxruntime-web in Node)', () => {
  it('node auto falls back to cpu and says why cuda (and webgpu) were skipped', async () => {
    const model = await loadNode(FIXTURE, {
      deviceProbe: (d) => (d === 'webgpu' ? 'ruled out by the test' : nodePlatform.probe(d)),
    });
    expect(model.metadata.device).toBe('cpu');
    const r = model.deviceReport;
    expect(r.chosen).toBe('cpu');
    expect(r.attempts.map((a) => a.device)).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(r.attempts[0]?.reason).toMatch(/CUDA|cuda/);
    expect(r.attempts[1]?.reason).toBe('ruled out by the test');
    await model.dispose();
  });

  it('node auto with the real probes never throws for a missing accelerator', async () => {
    const model = await loadNode(FIXTURE);
    const r = model.deviceReport;
    expect(['cuda', 'webgpu', 'cpu']).toContain(r.chosen);
    for (const a of r.attempts.slice(0, -1)) expect(a.reason?.length).toBeGreaterThan(0);
    expect(r.summary.startsWith(r.chosen)).toBe(true);
    await model.dispose();
  });

  it('node: an explicit cuda request fails with the runtime reason and the fix', async () => {
    const e = await codeOf(loadNode(FIXTURE, { device: 'cuda' }));
    expect(e.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
    // here onnxruntime-node was installed without its CUDA libraries (.npmrc: onnxruntime-node-install=skip)
    expect(e.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12|CUDA/);
    // skipping our check, the runtime's own error comes through
    const e2 = await codeOf(loadNode(FIXTURE, { device: 'cuda', deviceProbe: () => true }));
    expect(e2.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
    expect(e2.message.length).toBeGreaterThan(30);
  });

  it('node: cpu made unavailable → explicit cpu and auto both fail with DYNAMO_DEVICE_UNAVAILABLE', async () => {
    const probe = (d: DeviceName) => (d === 'cpu' ? 'no cpu for you' : 'off');
    expect((await codeOf(loadNode(FIXTURE, { device: 'cpu', deviceProbe: probe }))).code).toBe(
      'DYNAMO_DEVICE_UNAVAILABLE',
    );
    expect((await codeOf(loadNode(FIXTURE, { deviceProbe: probe }))).message).toContain('no cpu for you');
  });

  it('node: wasm is not a node device', async () => {
    const e = await codeOf(loadNode(FIXTURE, { device: 'wasm' }));
    expect(e.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
    expect(e.message).toContain('@dynamojs/onnx/web');
  });

  it('web in Node: auto → wasm, webgpu skipped (no navigator.gpu)', async () => {
    const model = await loadWeb(folderSource(FIXTURE), { wasm: { numThreads: 1 } });
    expect(model.metadata.device).toBe('wasm');
    expect(model.deviceReport.attempts[0]).toMatchObject({ device: 'webgpu', outcome: 'unavailable' });
    expect(model.deviceReport.attempts[0]?.reason).toContain('navigator.gpu');
    await model.dispose();
    const e = await codeOf(loadWeb(folderSource(FIXTURE), { device: 'webgpu' }));
    expect(e.code).toBe('DYNAMO_DEVICE_UNAVAILABLE');
    expect(e.message).toContain('navigator.gpu');
    const e2 = await codeOf(loadWeb(folderSource(FIXTURE), { device: 'cpu' }));
    expect(e2.message).toContain('@dynamojs/onnx/node');
  });

  it('the platforms try devices in the documented order', () => {
    expect(nodePlatform.autoOrder).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(webPlatform.autoOrder).toEqual(['webgpu', 'wasm']);
  });
});

describe('errorMessage', () => {
  it("keeps the runtime's reason and drops ONNX Runtime's source location and assertion text", async () => {
    const { errorMessage } = await import('@dynamojs/onnx');
    expect(
      errorMessage(
        new Error(
          '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n\n',
        ),
      ),
    ).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(errorMessage('plain')).toBe('plain');
  });
});
