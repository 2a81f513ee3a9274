// SPDX-License-Identifier: Apache-2.0
/**
 * Model strings (tensor names, the model's name, its file name, the command line) into generated C and
 * CMake. A model file is untrusted input: a tensor whose name holds a comment end (star, slash) and
 * `#error` must not end the comment it is quoted in, a newline must not start a line of code, a
 * quote must not end a string literal.
 * Every string from the model goes through one of these before it reaches a template (the templates
 * render without escaping: C is not HTML).
 */

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(ch: string): string {
  const code = ch.codePointAt(0)!;
  return NAMED_ESCAPES[ch] ?? (code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`);
}

/**
 * Text safe inside a C block comment, on one line: control characters (newlines too) shown as
 * escapes (`\n`, `\x01`), comment ends and starts broken by a backslash (star-backslash-slash,
 * slash-backslash-star: the comment neither ends nor nests under -Wcomment), backslashes doubled,
 * and `??` split (`?\?`) so no trigraph (C99) can form, e.g. `??/` before a newline.
 */
export function cCommentText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(CONTROL, escapeControl)
    .replace(/\*\//g, '*\\/')
    .replace(/\/\*/g, '/\\*')
    .replace(/\?(?=\?)/g, '?\\');
}

/**
 * A C string literal holding `text` as UTF-8: quotes and backslashes escaped, control characters and
 * every non-ASCII byte as three-digit octal escapes (a hex escape would swallow a following hex
 * digit), `?` escaped after a `?` (no trigraph).
 */
export function cStringLiteral(text: string): string {
  let out = '"';
  let previous = '';
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '?' && previous === '?') out += '\\?';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += ch;
    previous = ch;
  }
  return `${out}"`;
}

/**
 * A C identifier made from any text: characters outside [A-Za-z0-9_] become `_`, runs of `_` one,
 * no leading or trailing `_`, at most `maxLength` characters (cut at the end: callers keep names
 * unique with an index), `fallback` when nothing is left. It may start with a digit: callers put it
 * after a prefix (which also keeps it clear of the reserved `_[A-Z]` and `__` names).
 */
export function cIdentifier(text: string, maxLength = 32, fallback = 'unnamed'): string {
  let id = text
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  if (id.length > maxLength) id = id.slice(0, maxLength).replace(/_$/, '');
  return id || fallback;
}

/** A valid C identifier as it is; anything else made one (the model's name as a symbol prefix). */
export function cSymbolName(text: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) return text;
  const id = cIdentifier(text, 64, 'model');
  return /^[0-9]/.test(id) ? `m_${id}` : id;
}

/** Text safe after `#` in a CMake line comment: control characters (newlines too) as escapes. */
export function cmakeCommentText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(CONTROL, escapeControl);
}
