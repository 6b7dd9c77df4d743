import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test as base, expect, type Page } from "@playwright/test";
import { ROOT } from "./console-process.ts";

/** The console started by global setup. */
export const test = base.extend({
  baseURL: async ({}, use) => {
    await use(process.env.SAMSA_E2E_URL);
  },
});
export { expect };

export const ADMIN_PASSWORD = () => process.env.SAMSA_E2E_ADMIN_PASSWORD!;
export const KAFKA = () => process.env.SAMSA_E2E_KAFKA!;

const SHOTS = join(ROOT, "test-results", "screenshots");

/** Saves a full-page screenshot of a main page as a test artifact. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
}

/** The page's client code runs (its SSE stream is connected), so forms are interactive. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
}
