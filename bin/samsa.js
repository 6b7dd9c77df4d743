#!/usr/bin/env node
// The `samsa` command. Samsa runs its TypeScript sources directly through tsx's loader,
// so the command works right after `npm install` with no build step.
import { register } from "tsx/esm/api";

register();
await import(new URL("../broker/cli/main.ts", import.meta.url).href);
