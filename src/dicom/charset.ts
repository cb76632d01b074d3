import type { DataSet } from './parse.js';

/**
 * WHATWG encoding labels of the single-byte and multi-byte character sets of SpecificCharacterSet
 * (0008,0005), PS3.3 C.12.1.1.2. The default repertoire (no value, ISO_IR 6) is ASCII; bytes above 127
 * are then read as Latin-1, which is what such files carry in practice.
 */
const ENCODINGS: Record<string, string> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_166: 'windows-874',
  ISO_IR_13: 'shift_jis',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** The encoding of a data set's text: the first value of its SpecificCharacterSet ("ISO 2022 IR 100" as "ISO_IR 100"). */
export function textEncoding(ds: DataSet): string {
  const first = (ds.string('x00080005') ?? '')
    .split('\\')[0]
    .trim()
    .replace(/^ISO 2022 IR /, 'ISO_IR ');
  return ENCODINGS[first.replace(/ /g, '_')] ?? 'latin1';
}

/**
 * A text element (PN, LO, SH, LT, ST, UT, UC) decoded with the data set's character set, trailing
 * padding removed: dicom-parser's string() maps each byte to one character, which is right for ASCII
 * and Latin-1 only. ISO 2022 escape sequences are dropped (their code extensions are not supported).
 */
export function decodedText(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el) return undefined;
  const bytes = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  const text = new TextDecoder(textEncoding(ds)).decode(bytes);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ISO 2022 escape sequences start with ESC (0x1b)
  const escapes = /\x1b[()$*+\-./][\x20-\x2f]*[\x30-\x7e]/g;
  return text
    .replace(escapes, '')
    .replace(/[\0 ]+$/, '')
    .trim();
}
