// Kafka error types out of kafkajs errors, for tests that expect a request to be refused.

/** The Kafka error types of a kafkajs error (unwrapping retries, aggregates and group results). */
export function errorTypes(e: unknown): string[] {
  const err = e as { type?: string; cause?: unknown; originalError?: unknown; errors?: unknown[]; groups?: { error?: unknown }[] };
  if (err.groups?.length) return err.groups.flatMap((g) => errorTypes(g.error));
  if (err.errors) return err.errors.flatMap(errorTypes);
  if (err.type) return [err.type];
  if (err.cause) return errorTypes(err.cause);
  if (err.originalError) return errorTypes(err.originalError);
  return [String(e)];
}

/** The error types p rejects with, or ["(resolved)"]. */
export async function rejection(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    return errorTypes(e);
  }
  return ["(resolved)"];
}
