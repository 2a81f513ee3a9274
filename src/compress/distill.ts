// SPDX-License-Identifier: Apache-2.0
/**
 * Knowledge distillation (Hinton et al., 2015): the student learns from the teacher's softened
 * output distribution as well as from the labels,
 *   loss = α · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)) + (1 − α) · CE(y, softmax(z_s)),
 * where z are pre-softmax logits and T the temperature (T² keeps the soft term's gradients on the
 * scale of the hard one). Regression and reconstruction students match the teacher's outputs by
 * squared error instead of the KL term. The student then goes through the same int8 export.
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { elementCount } from '../core/ir/graph.ts';
import type { Dataset } from '../lab/data/dataset.ts';
import { type Task, taskLoss } from './task.ts';
import { type FineTuneOptions, type TrainingHooks, fineTune } from './train.ts';
import type { TrainableGraph } from './trainable.ts';

export interface DistillOptions extends FineTuneOptions {
  /** softening temperature T (default 4) */
  temperature?: number;
  /** weight α of the teacher's term (default 0.7) */
  alpha?: number;
}

export async function distill(teacher: TrainableGraph, student: TrainableGraph, data: Dataset, task: Task, options: DistillOptions): Promise<number> {
  const T = options.temperature ?? 4;
  const alpha = options.alpha ?? 0.7;
  if (!(T > 0)) throw new TinyforgeError(`temperature ${T} must be positive`);
  if (!(alpha >= 0 && alpha <= 1)) throw new TinyforgeError(`alpha ${alpha} must be in [0, 1]`);
  const shape = (g: TrainableGraph, t: number[]) => `[${g.graph.tensors[t[0]!]!.shape.slice(1)}]`;
  if (shape(teacher, teacher.graph.inputs) !== shape(student, student.graph.inputs)) {
    throw new TinyforgeError(`teacher input ${shape(teacher, teacher.graph.inputs)} and student input ${shape(student, student.graph.inputs)} differ`);
  }
  const outSize = (g: TrainableGraph) => elementCount(g.graph.tensors[g.graph.outputs[0]!]!.shape.slice(1));
  if (outSize(teacher) !== outSize(student)) {
    throw new TinyforgeError(`teacher has ${outSize(teacher)} outputs and student ${outSize(student)}; they must match`);
  }
  return fineTune(
    student,
    data,
    task,
    { ...options, label: options.label ?? `distilling (T=${T}, alpha=${alpha})` },
    { loss: distillationLoss(teacher, task, options) },
  );
}

/**
 * The distillation loss as a training hook (train.ts): the teacher's softened outputs on the batch
 * beside the labels. Pruning and QAT fine-tunings take it too (the float model teaching its own
 * pruned or quantized copy).
 */
export function distillationLoss(
  teacher: TrainableGraph,
  task: Task,
  options: Pick<DistillOptions, 'temperature' | 'alpha'>,
): NonNullable<TrainingHooks['loss']> {
  const T = options.temperature ?? 4;
  const alpha = options.alpha ?? 0.7;
  return (result, y, x) => {
    const batch = y.shape[0]!;
    const hard = taskLoss(task, result, y);
    // the teacher is fixed: its values are constants of the student's loss
    const teacherOut = tf.tidy(() => {
      const r = teacher.forward([x]);
      return tf.reshape(task.kind === 'classification' ? r.logits : r.outputs[0]!, [batch, -1]);
    });
    let soft: tf.Tensor;
    if (task.kind === 'classification') {
      const pTeacher = tf.softmax(tf.div(teacherOut, T));
      const logQStudent = tf.logSoftmax(tf.div(tf.reshape(result.logits, [batch, -1]), T));
      // KL(p‖q) = Σ p (log p − log q); log p is constant here, kept so the value reads as a KL
      const logP = tf.log(tf.add(pTeacher, 1e-12));
      soft = tf.mul(tf.mean(tf.sum(tf.mul(pTeacher, tf.sub(logP, logQStudent)), 1)), T * T);
    } else {
      soft = tf.losses.meanSquaredError(teacherOut, tf.reshape(result.outputs[0]!, [batch, -1]));
    }
    return tf.add(tf.mul(soft, alpha), tf.mul(hard, 1 - alpha)) as tf.Scalar;
  };
}
