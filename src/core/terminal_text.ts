// SPDX-License-Identifier: Apache-2.0
/**
 * Model strings on the terminal. A tensor or op name in a model file is untrusted: an ESC would
 * start an escape sequence (move the cursor, retitle the window, rewrite what was printed), a BEL
 * rings, a newline or carriage return forges a line. Everything tinyforge prints that quotes the
 * model goes through terminalText.
 */

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with its control characters shown as escapes (`\n`, `\x1b`, `\u2028`); tabs kept when `keepTabs`. */
export function terminalText(text: string, keepTabs = false): string {
  return text.replace(CONTROL, (ch) => {
    if (keepTabs && ch === '\t') return ch;
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    const code = ch.codePointAt(0)!;
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/**
 * What reaches stdout: newlines and tabs kept (tinyforge's own layout), every other control
 * character as a `\u` escape, which reads plainly on a terminal and is the same character again
 * inside a JSON string (JSON.stringify leaves DEL, the C1 controls and U+2028/9 raw).
 */
export function stdoutText(text: string): string {
  return text.replace(CONTROL, (ch) => (ch === '\n' || ch === '\t' ? ch : `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`));
}
