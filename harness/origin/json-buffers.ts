/** A JSON.parse reviver that turns Buffer.toJSON's `{type: 'Buffer', data: [...]}` back into a Buffer. */
export function reviveBuffers(_key: string, value: unknown): unknown {
  const candidate = value as { type?: unknown; data?: unknown } | null;
  if (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.type === 'Buffer' &&
    Array.isArray(candidate.data)
  ) {
    return Buffer.from(candidate.data as number[]);
  }
  return value;
}
