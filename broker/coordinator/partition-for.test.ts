import { describe, expect, it } from "vitest";
import { javaStringHashCode, kafkaAbs, partitionFor } from "./partition-for.ts";

/** Java's definition, done the slow way: sum of s[i]*31^(n-1-i) over UTF-16 units, mod 2^32, signed. */
function referenceHashCode(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % 2n ** 32n;
  return Number(BigInt.asIntN(32, h));
}

describe("partitionFor", () => {
  it("matches Java's String.hashCode", () => {
    // Values Java prints for these strings.
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("a")).toBe(97);
    expect(javaStringHashCode("hello")).toBe(99162322);
    expect(javaStringHashCode("my-group")).toBe(-1906497762);
    expect(javaStringHashCode("test-group")).toBe(627841412);
    expect(javaStringHashCode("console-consumer-12345")).toBe(158455506);
    // The famous string whose hash is Integer.MIN_VALUE.
    expect(javaStringHashCode("polygenelubricants")).toBe(-2147483648);
    // Non-ASCII: Java hashes UTF-16 code units, surrogate pairs included.
    expect(javaStringHashCode("grüppe")).toBe(-1233264812);
    expect(javaStringHashCode("😀-group")).toBe(-1198440043);
    for (const s of ["x", "payments-consumers", "a".repeat(1000), "日本語のグループ", "\u{1F600}\u{1F601}"]) {
      expect(javaStringHashCode(s)).toBe(referenceHashCode(s));
    }
  });

  it("uses Kafka's Utils.abs (Integer.MIN_VALUE maps to 0)", () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(kafkaAbs(7)).toBe(7);
  });

  it("places groups like Kafka with 50 partitions", () => {
    expect(partitionFor("my-group", 50)).toBe(12);
    expect(partitionFor("test-group", 50)).toBe(12);
    expect(partitionFor("hello", 50)).toBe(22);
    expect(partitionFor("a", 50)).toBe(47);
    expect(partitionFor("console-consumer-12345", 50)).toBe(6);
    expect(partitionFor("polygenelubricants", 50)).toBe(0);
    expect(partitionFor("😀-group", 50)).toBe(43);
    expect(partitionFor("my-group", 1)).toBe(0);
    expect(partitionFor("my-group", 7)).toBe(1906497762 % 7);
  });
});
