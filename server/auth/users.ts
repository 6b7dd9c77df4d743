import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import type { PrismaClient } from "../db/generated/client.ts";
import { isRole, type Role, type SessionUser } from "./roles.ts";

const BCRYPT_COST = 10;

export interface UserRow {
  username: string;
  role: Role;
  createdAt: Date;
}

/** Console users, with bcrypt password hashes (bcryptjs: pure JavaScript). */
export class UserStore {
  constructor(private readonly prisma: PrismaClient) {}

  async count(): Promise<number> {
    return this.prisma.user.count();
  }

  async list(): Promise<UserRow[]> {
    const rows = await this.prisma.user.findMany({ orderBy: { username: "asc" } });
    return rows.map((r) => ({ username: r.username, role: isRole(r.role) ? r.role : "viewer", createdAt: r.createdAt }));
  }

  async find(username: string): Promise<SessionUser | null> {
    const r = await this.prisma.user.findUnique({ where: { username } });
    return r && isRole(r.role) ? { username: r.username, role: r.role } : null;
  }

  async create(username: string, password: string, role: Role): Promise<void> {
    const passwordHash = await bcrypt.hash(password, BCRYPT_COST);
    await this.prisma.user.create({ data: { username, passwordHash, role } });
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.prisma.user.update({ where: { username }, data: { passwordHash: await bcrypt.hash(password, BCRYPT_COST) } });
  }

  /** False when there is no such user. */
  async setRole(username: string, role: Role): Promise<boolean> {
    const r = await this.prisma.user.updateMany({ where: { username }, data: { role } });
    return r.count > 0;
  }

  async delete(username: string): Promise<boolean> {
    const r = await this.prisma.user.deleteMany({ where: { username } });
    return r.count > 0;
  }

  async countAdmins(): Promise<number> {
    return this.prisma.user.count({ where: { role: "admin" } });
  }

  /** The user when the password matches; null otherwise (same time either way, roughly). */
  async verify(username: string, password: string): Promise<SessionUser | null> {
    const r = await this.prisma.user.findUnique({ where: { username } });
    const ok = await bcrypt.compare(password, r?.passwordHash ?? (await dummyHash()));
    return r && ok && isRole(r.role) ? { username: r.username, role: r.role } : null;
  }

  /**
   * On first start (no users), creates "admin" with the given or a generated password and
   * returns the password so the caller can print it once. Returns null when users exist.
   */
  async bootstrapAdmin(password: string | null): Promise<{ username: string; password: string; generated: boolean } | null> {
    if ((await this.count()) > 0) return null;
    const generated = password === null;
    const pw = password ?? randomBytes(15).toString("base64url");
    try {
      await this.create("admin", pw, "admin");
    } catch (err) {
      // Another console process sharing the database created it first.
      if ((await this.count()) > 0) return null;
      throw err;
    }
    return { username: "admin", password: pw, generated };
  }
}

/** A hash of a random password, compared against for unknown users. */
let dummy: Promise<string> | null = null;
function dummyHash(): Promise<string> {
  dummy ??= bcrypt.hash(randomBytes(12).toString("hex"), BCRYPT_COST);
  return dummy;
}
