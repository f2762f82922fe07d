/**
 * GPT-2's byte-level alphabet: every byte 0..255 is written as one printable character in
 * vocabulary strings (`Ġ` = space, `Ċ` = newline, ...). This is `bytes_to_unicode()` from
 * openai/gpt-2, the table the Hugging Face ByteLevel pre-tokenizer and decoder use.
 */

/** BYTE_TO_CHAR[b] is the character that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
})();

/** CHAR_TO_BYTE[charCode] is the byte a character stands for, or -1 (index < 324). */
const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(324).fill(-1);
  for (let b = 0; b < 256; b++) table[BYTE_TO_CHAR[b]!.charCodeAt(0)] = b;
  return table;
})();

const utf8 = new TextEncoder();

/**
 * The bytes a token stands for, with the Hugging Face (Rust `tokenizers`) ByteLevel decoder's rule:
 * when every character of the token is in the byte-level alphabet, each one maps to its byte;
 * otherwise (e.g. an added token such as a run of literal spaces) the token's own UTF-8 bytes.
 */
export function byteLevelTokenBytes(token: string): Uint8Array {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const b = code < 324 ? CHAR_TO_BYTE[code]! : -1;
    if (b < 0) return utf8.encode(token);
    out[i] = b;
  }
  return out;
}
