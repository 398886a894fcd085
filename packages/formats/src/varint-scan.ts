/**
 * Reads every byte of `bytes` as a sequence of varints and counts them: the cost of touching
 * each byte once with varint logic, which a decoder can at best approach. Benchmarks use it as
 * the floor a pprof decoder is measured against.
 */
export function scanVarints(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! < 0x80) count++;
  return count;
}
