/**
 * Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, with 32-bit
 * overflow. JavaScript strings are UTF-16 too, so charCodeAt gives exactly Java's chars.
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs, except Integer.MIN_VALUE (which has no positive) maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/**
 * The `__consumer_offsets` (or `__transaction_state`) partition that owns a group or
 * transactional id: Kafka's `Utils.abs(key.hashCode) % numPartitions`. Clients and every
 * broker must agree on it, so it has to be bit-for-bit Kafka's.
 */
export function partitionFor(key: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(key)) % numPartitions;
}
