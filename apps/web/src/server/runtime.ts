// What the custom server creates once (database client, keys, hub) and hands to the code that Next.js
// bundles separately: route handlers read it from here. Kept on globalThis because Next.js loads its
// own copy of this module.
import type { Db } from "@mailwarden/db";

export interface Runtime {
  prisma: Db;
  databaseUrl: string;
  /** 32-byte key for encrypting secrets at rest. */
  secretKey: Buffer;
  /** Key that signs session tokens (derived from secretKey). */
  authSecret: string;
  publicUrl: string;
  sessionMaxAgeSeconds: number;
}

const KEY = Symbol.for("mailwarden.runtime");
type Holder = { [KEY]?: Runtime };

export function setRuntime(runtime: Runtime): void {
  (globalThis as Holder)[KEY] = runtime;
}

export function getRuntime(): Runtime {
  const runtime = (globalThis as Holder)[KEY];
  if (!runtime)
    throw new Error("Mailwarden runtime not initialised: start the app with its server (npm start)");
  return runtime;
}
