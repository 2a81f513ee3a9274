// SPDX-License-Identifier: Apache-2.0
/**
 * A model's starter app as firmware for a board tinyforge builds for (`monitor --project-app`): the
 * generated model, the sample header of the exports (one sample input and the class the reference
 * kernels give) and firmware/common/starter_app.c.hbs, built with the board's startup, platform and
 * console in place of the device harness. It prints on the console and exits, which is what the
 * monitor shows.
 */
import { join } from 'node:path';
import { loadGraph } from '../../core/model/load.ts';
import { renderTemplateFile } from '../../core/ops/common/render.ts';
import { FIRMWARE_DIR, findBoard } from '../../core/targets/targets.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { buildFirmware } from '../toolchain/firmware.ts';
import { sampleHeader } from '../toolchain/project_layouts.ts';
import { makeTempFolder, removeTempFolder, untrackTempPath } from '../lifecycle.ts';
import { writeDirectoryAtomically } from '../output.ts';
import { compileForTarget } from './device-build.ts';

/** Builds the starter app of `modelPath` for `boardName`, runs `work` with its ELF, and removes the build. */
export async function withStarterApp<T>(
  modelPath: string,
  boardName: string,
  progress: (message: string) => void,
  work: (elf: string) => Promise<T>,
): Promise<T> {
  const { target, board } = findBoard(boardName);
  if (target.firmware === 'host' || board.linkerScript === undefined) {
    throw new TinyforgeError(`${board.name}: tinyforge builds no firmware for this board, so no starter app either`);
  }
  const compiled = compileForTarget(loadGraph(modelPath), modelPath, target, board);
  const { generated } = compiled;
  const main = {
    name: 'starter_app.c',
    text: renderTemplateFile(join(FIRMWARE_DIR, 'common', 'starter_app.c.hbs'), {
      name: compiled.graph.name,
      prefix: generated.prefix,
      PREFIX: generated.prefix.toUpperCase(),
    }),
  };
  const workDir = makeTempFolder('starter-app');
  let keep = false;
  try {
    const modelDir = writeDirectoryAtomically(join(workDir, 'app'), [...generated.files, sampleHeader(compiled, {}, generated.fileNames.header), main]);
    progress(`building the starter app of ${compiled.graph.name} for ${board.name}`);
    let elf: string;
    try {
      ({ elf } = await buildFirmware({
        target: target.name,
        board: board.name,
        modelDir,
        outDir: join(workDir, 'build'),
        ownMain: true,
        optimizeForSize: compiled.prepared.prefer === 'size',
      }));
    } catch (e) {
      // a failed build keeps its folder: the error names the log in it
      keep = e instanceof TinyforgeError && e.message.includes(workDir);
      throw e;
    }
    return await work(elf);
  } finally {
    if (keep) untrackTempPath(workDir);
    else removeTempFolder(workDir);
  }
}
