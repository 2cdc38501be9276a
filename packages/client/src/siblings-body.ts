/** One of the values stored under a key that no other value supersedes. */
export interface Sibling {
  readonly value: Uint8Array;
  readonly contentType: string;
}

/**
 * Reads the body of a `300 Multiple Choices`:
 * `{"siblings":[{"value":"<base64>","contentType":"…"},…]}`.
 * Returns undefined when the body does not have that shape, so the caller can
 * report the response as unexpected instead of returning half a sibling set.
 */
export function parseSiblingsBody(text: string): Sibling[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const list = (parsed as { siblings?: unknown }).siblings;
  if (!Array.isArray(list)) return undefined;
  const siblings: Sibling[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { value, contentType } = item as { value?: unknown; contentType?: unknown };
    if (typeof value !== 'string') return undefined;
    siblings.push({
      value: Buffer.from(value, 'base64'),
      contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
    });
  }
  return siblings;
}
