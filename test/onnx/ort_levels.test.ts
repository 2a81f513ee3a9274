// SPDX-License-Identifier: Apache-2.0
/** `validate --reference onnxruntime`: the line that says whether ONNX Runtime's two levels agree. */
import { expect } from 'chai';
import { formatOrtLevels } from '../../src/face/cli/validate.ts';

describe('validate --reference onnxruntime: ONNX Runtime at its other optimization level', () => {
  it('says the levels agree, or how many output elements differ and which level was compared against', () => {
    expect(formatOrtLevels({ compared: 'all', other: 'basic', differing: 0, elements: 10 })).to.equal(
      'ONNX Runtime gives the same outputs at levels all (compared against) and basic',
    );
    expect(formatOrtLevels({ compared: 'all', other: 'basic', differing: 3, elements: 640 })).to.equal(
      'ONNX Runtime at level basic gives other outputs than at all: 3 of 640 output elements differ; compared against all',
    );
    expect(formatOrtLevels({ compared: 'basic', other: 'all', differing: 1, elements: 8 })).to.match(/compared against basic$/);
  });
});
