import { randomBytes } from "node:crypto";
import type { PrismaClient } from "./generated/client.ts";

/**
 * The key sealing session cookies, shared by every console process on the same database:
 * created once, then read. SAMSA_SESSION_SECRET (32+ characters) overrides it.
 */
export async function sessionSecret(prisma: PrismaClient, fromEnv: string | undefined = process.env.SAMSA_SESSION_SECRET): Promise<string> {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error("SAMSA_SESSION_SECRET must be at least 32 characters");
    return fromEnv;
  }
  const key = "session.secret";
  const existing = await prisma.setting.findUnique({ where: { key } });
  if (existing) return existing.value;
  const value = randomBytes(32).toString("hex");
  await prisma.setting.createMany({ data: [{ key, value }], skipDuplicates: true });
  return (await prisma.setting.findUniqueOrThrow({ where: { key } })).value;
}
