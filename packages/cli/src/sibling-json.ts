import type { Sibling } from '@ringkv/client';

export interface SiblingJson {
  readonly contentType: string;
  /** base64, as in the HTTP API's 300 body: any bytes survive */
  readonly value: string;
  /** the value as text when it is valid UTF-8, for `jq -r` */
  readonly text?: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function siblingJson(s: Sibling): SiblingJson {
  const value = Buffer.from(s.value.buffer, s.value.byteOffset, s.value.byteLength).toString('base64');
  try {
    return { contentType: s.contentType, value, text: strictUtf8.decode(s.value) };
  } catch {
    return { contentType: s.contentType, value };
  }
}
