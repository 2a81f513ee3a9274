// SPDX-License-Identifier: Apache-2.0
/**
 * What the native ONNX Runtime computes on this machine. On x86-64 with AVX2 and without VNNI, its
 * u8 x s8 integer kernels (QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger: MLAS's VPMADDUBSW
 * path) add two products into a saturating 16-bit lane first, so where a pair passes 32767 its sums
 * differ from the exact ones; ONNX Runtime's quantization guide says so and advises U8U8 or reduced
 * range there. The same model then gives other bytes on other CPUs, so an equality with ONNX Runtime
 * is only a claim where its integer arithmetic is exact: tests that find a difference on a machine
 * that saturates say so in one line instead of failing.
 */
import { encodeModelProto } from '../../src/core/model/onnx/schema.ts';
import { OnnxBuilder } from './onnx_builder.ts';
import { loadOnnxRuntime } from '../../src/lab/run/onnxruntime.ts';

interface OrtLike {
  InferenceSession: {
    create(bytes: Uint8Array, options?: object): Promise<{ run(feeds: object): Promise<Record<string, { data: unknown }>>; release(): Promise<void> }>;
  };
  Tensor: new (type: string, data: Uint8Array, dims: number[]) => unknown;
}

let probed: Promise<boolean> | undefined;

/** Whether this machine's ONNX Runtime saturates u8 x s8 product pairs: MatMulInteger of [255, 255] by [127, 127] gives 64770 where exact. */
export function ortSaturatesU8S8(ort: OrtLike): Promise<boolean> {
  probed ??= (async () => {
    const b = new OnnxBuilder();
    const a = b.input('a', 'uint8', [1, 2]);
    const w = b.init('w', 'int8', [2, 1], [127, 127]);
    const y = b.one('MatMulInteger', [a, w]);
    b.output(y, 'int32', [1, 1]);
    const session = await ort.InferenceSession.create(encodeModelProto(b.model()), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    try {
      const out = await session.run({ a: new ort.Tensor('uint8', Uint8Array.from([255, 255]), [1, 2]) });
      return Number((out[y]!.data as Int32Array)[0]) !== 255 * 127 * 2;
    } finally {
      await session.release();
    }
  })();
  return probed;
}

/** The line a test prints where it takes a difference from ONNX Runtime for this machine's saturation. */
export const ORT_SATURATES_NOTICE =
  "      (this CPU's ONNX Runtime sums u8 x s8 pairs in saturating 16 bits, AVX2 without VNNI: its integer ops are not exact here, equality not checked)";

/** Skips `ctx`'s test with ORT_SATURATES_NOTICE where this machine's ONNX Runtime saturates u8 x s8 pairs (its answers then are not the exact ones the test compares). */
export async function skipUnlessOrtExact(ctx: Mocha.Context): Promise<void> {
  const ort = await loadOnnxRuntime('node');
  if (!(await ortSaturatesU8S8(ort as never))) return;
  console.log(ORT_SATURATES_NOTICE);
  ctx.skip();
}
