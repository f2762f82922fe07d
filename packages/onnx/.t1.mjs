import ort from 'onnxruntime-node';
const dev = process.argv[2] ?? 'cpu';
const s = await ort.InferenceSession.create('packages/onnx/test/fixtures/tiny/model.onnx', { executionProviders: [dev], preferredOutputLocation: process.argv[3] ?? 'cpu' });
console.log(s.inputNames, s.outputNames, JSON.stringify(s.inputMetadata.slice(0,4)), JSON.stringify(s.outputMetadata.slice(0,3)));
const S=5; const feeds = {
 input_ids: new ort.Tensor('int64', BigInt64Array.from([1n,2n,3n,4n,5n]), [1,S]),
 attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1,S]),
 position_ids: new ort.Tensor('int64', BigInt64Array.from([0n,1n,2n,3n,4n]), [1,S]),
 num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([2n]), []),
 num_head_logits_to_keep: new ort.Tensor('int64', BigInt64Array.from([3n]), []),
};
for (let i=0;i<4;i++) for (const kv of ['key','value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1,2,0,16]);
const out = await s.run(feeds);
console.log(out.logits.dims, out.head_logits.dims, out['present.3.key'].dims, out.logits.data.slice(0,4), out.logits.location);
