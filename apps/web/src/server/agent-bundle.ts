// What a bare host downloads to become an agent: the install script (GET /install.sh, with this console's
// address as its default --url) and the agent itself (GET /install/agent.tgz). The tarball is built from
// the repository on request and cached until a source file changes: agent/bin, agent/src and README, and
// the workspace packages the agent imports, vendored under vendor/ and referenced as file: dependencies,
// and a package-lock.json cut from the repository's, so `npm install --omit=dev` in the unpacked folder
// is all a host needs and installs exactly what the tests ran with. Only those files are read —
// never tests, never anything else of the repository.
import { existsSync, readFileSync } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** Top-level folder inside the tarball. */
export const BUNDLE_DIR = "mailwarden-agent";

interface PackageJson {
  name: string;
  version?: string;
  description?: string;
  type?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
}

/** An entry of package-lock.json's "packages" (lockfileVersion 3). */
interface LockEntry {
  name?: string;
  version?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

interface WorkspacePackage {
  dir: string;
  pkg: PackageJson;
}

interface Entry {
  /** Path inside the tarball, without the BUNDLE_DIR prefix. */
  name: string;
  source: string | Buffer;
  mode: number;
  mtimeMs: number;
}

let repoRootCache: string | null = null;

function isRepoRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, "agent", "package.json"), "utf8")) as PackageJson;
    return pkg.name === "@mailwarden/agent" && existsSync(path.join(dir, "agent", "install.sh"));
  } catch {
    return false;
  }
}

/**
 * The monorepo's root, found by walking up from this module, the working directory and the started
 * script (Next.js runs this module from its build output, so no single one of them is certain).
 */
export function findRepoRoot(): string {
  if (repoRootCache) return repoRootCache;
  const starts: string[] = [];
  try {
    starts.push(path.dirname(fileURLToPath(import.meta.url)));
  } catch {
    // Not a file: URL inside a bundle; the other starting points remain.
  }
  starts.push(process.cwd());
  if (process.argv[1]) starts.push(path.dirname(path.resolve(process.argv[1])));
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (isRepoRoot(dir)) return (repoRootCache = dir);
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find the Mailwarden repository (agent/package.json) above ${starts.join(", ")}`);
}

/** agent/install.sh with the console's address as the default --url. */
export async function installScript(publicUrl: string, repoRoot = findRepoRoot()): Promise<string> {
  const url = new URL(publicUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`public URL ${publicUrl} is not http(s)`);
  const base = `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  const script = await readFile(path.join(repoRoot, "agent", "install.sh"), "utf8");
  const marker = /^DEFAULT_URL=''/m;
  if (!marker.test(script)) throw new Error("agent/install.sh has no DEFAULT_URL='' line to fill in");
  // Single-quoted for sh; a quote inside the URL (never in practice) is closed, escaped and reopened.
  return script.replace(marker, () => `DEFAULT_URL='${base.replaceAll("'", `'\\''`)}'`);
}

const isTestPath = (name: string) => /\.test\.tsx?$/.test(name) || name === "test-support";

/** Regular files under dir (no symlinks, no tests), as paths relative to dir, plus the newest mtime seen. */
async function walk(
  dir: string,
  rel = "",
): Promise<{ files: { rel: string; mtimeMs: number }[]; newest: number }> {
  const here = await lstat(path.join(dir, rel));
  let newest = here.mtimeMs;
  const files: { rel: string; mtimeMs: number }[] = [];
  const names = (await readdir(path.join(dir, rel))).sort();
  for (const name of names) {
    if (isTestPath(name) || name.startsWith(".") || name === "node_modules") continue;
    const child = rel ? `${rel}/${name}` : name;
    const info = await lstat(path.join(dir, child));
    if (info.isDirectory()) {
      const sub = await walk(dir, child);
      files.push(...sub.files);
      newest = Math.max(newest, sub.newest);
    } else if (info.isFile()) {
      files.push({ rel: child, mtimeMs: info.mtimeMs });
      newest = Math.max(newest, info.mtimeMs);
    }
  }
  return { files, newest };
}

async function readPackage(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as PackageJson;
}

/** Workspace packages under packages/, by name. */
async function workspacePackages(repoRoot: string): Promise<Map<string, WorkspacePackage>> {
  const byName = new Map<string, WorkspacePackage>();
  const packagesDir = path.join(repoRoot, "packages");
  for (const name of (await readdir(packagesDir)).sort()) {
    const dir = path.join(packagesDir, name);
    if (!existsSync(path.join(dir, "package.json"))) continue;
    const pkg = await readPackage(dir);
    byName.set(pkg.name, { dir, pkg });
  }
  return byName;
}

/** Dependencies with workspace packages pointed at their vendored copy (relative to `from`). */
function rewriteDependencies(
  dependencies: Record<string, string> | undefined,
  workspace: Map<string, WorkspacePackage>,
  vendorPrefix: string,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, range] of Object.entries(dependencies ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const local = workspace.get(name);
    result[name] = local ? `file:${vendorPrefix}${path.basename(local.dir)}` : range;
  }
  return result;
}

/**
 * The repository's package-lock.json cut down to what the bundle installs, so a host gets exactly the
 * versions and node_modules layout the tests ran with. Without it, a fresh resolution hoisted two
 * copies of @peculiar/asn1-schema differently and the agent could not generate its certificate.
 * `roots` maps a workspace folder (agent, packages/policy) to its place in the bundle ("", vendor/policy).
 */
function bundleLock(
  lock: { packages: Record<string, LockEntry> },
  roots: { from: string; to: string; dependencies: Record<string, string> }[],
  workspaceNames: Set<string>,
): { packages: Record<string, LockEntry>; names: Set<string> } {
  const locked = lock.packages;
  const parentOf = (key: string): string | null => {
    const cut = key.lastIndexOf("/node_modules/");
    if (cut >= 0) return key.slice(0, cut);
    return key === "" ? null : "";
  };
  const resolve = (from: string, name: string): string | null => {
    for (let base: string | null = from; base !== null; base = parentOf(base)) {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (locked[key]) return key;
    }
    return null;
  };
  const edges = (entry: LockEntry, withOptional: boolean) => [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, kind: "required" })),
    ...Object.keys(entry.peerDependencies ?? {}).map((name) => ({
      name,
      kind: entry.peerDependenciesMeta?.[name]?.optional ? "optional" : "peer",
    })),
    ...(withOptional
      ? Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, kind: "optional" }))
      : []),
  ];
  // Everything reachable; and what is reachable without optional edges (the rest is "optional").
  const reach = (withOptional: boolean): Set<string> => {
    const seen = new Set<string>();
    const queue = roots.map((root) => ({
      from: root.from,
      entry: { dependencies: root.dependencies } as LockEntry,
    }));
    while (queue.length > 0) {
      const { from, entry } = queue.shift()!;
      for (const edge of edges(entry, withOptional)) {
        if (workspaceNames.has(edge.name) || (edge.kind === "optional" && !withOptional)) continue;
        const key = resolve(from, edge.name);
        if (!key) {
          if (edge.kind === "required")
            throw new Error(`${edge.name} (needed by ${from}) is not in package-lock.json: run npm install`);
          continue;
        }
        if (seen.has(key)) continue;
        if (locked[key]!.link)
          throw new Error(`${key} is a link in package-lock.json; the bundle cannot ship it`);
        seen.add(key);
        queue.push({ from: key, entry: locked[key]! });
      }
    }
    return seen;
  };
  const all = reach(true);
  const required = reach(false);

  const packages: Record<string, LockEntry> = {};
  const names = new Set<string>();
  for (const key of [...all].sort()) {
    const root = roots.find((r) => r.from && key.startsWith(`${r.from}/`));
    const to = root ? `${root.to ? `${root.to}/` : ""}${key.slice(root.from.length + 1)}` : key;
    if (packages[to]) throw new Error(`${key} and another package both land on ${to} in the agent bundle`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, optional: _optional, ...rest } = locked[key]!;
    packages[to] = required.has(key) ? rest : { ...rest, optional: true };
    names.add(key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length));
  }
  return { packages, names };
}

function jsonEntry(name: string, value: unknown, mtimeMs: number): Entry {
  return { name, source: Buffer.from(`${JSON.stringify(value, null, 2)}\n`), mode: 0o644, mtimeMs };
}

async function collectEntries(repoRoot: string): Promise<{ entries: Entry[]; key: string }> {
  const agentDir = path.join(repoRoot, "agent");
  const agentPkg = await readPackage(agentDir);
  const workspace = await workspacePackages(repoRoot);

  // The workspace packages the agent needs, and the ones those need, each once.
  const vendored: WorkspacePackage[] = [];
  const pending = Object.keys(agentPkg.dependencies ?? {});
  while (pending.length > 0) {
    const local = workspace.get(pending.shift()!);
    if (!local || vendored.includes(local)) continue;
    vendored.push(local);
    pending.push(...Object.keys(local.pkg.dependencies ?? {}));
  }

  const entries: Entry[] = [];
  const keyParts: string[] = [];
  let newest = 0;
  const addTree = async (fromDir: string, sub: string, toPrefix: string, mode: (rel: string) => number) => {
    const { files, newest: treeNewest } = await walk(path.join(fromDir, sub));
    newest = Math.max(newest, treeNewest);
    for (const file of files) {
      const source = path.join(fromDir, sub, file.rel);
      entries.push({
        name: `${toPrefix}${sub}/${file.rel}`,
        source,
        mode: mode(file.rel),
        mtimeMs: file.mtimeMs,
      });
      keyParts.push(source);
    }
  };
  const fileMtime = async (file: string) => {
    const info = await lstat(file);
    newest = Math.max(newest, info.mtimeMs);
    keyParts.push(file);
    return info.mtimeMs;
  };

  const dependencies = rewriteDependencies(agentPkg.dependencies, workspace, "vendor/");
  const vendorPackages = vendored.map((local) => ({
    local,
    to: `vendor/${path.basename(local.dir)}`,
    dependencies: rewriteDependencies(local.pkg.dependencies, workspace, "../"),
  }));
  const rootPkgFile = path.join(repoRoot, "package.json");
  const lockFile = path.join(repoRoot, "package-lock.json");
  const rootPkg = JSON.parse(await readFile(rootPkgFile, "utf8")) as { overrides?: Record<string, unknown> };
  const lock = JSON.parse(await readFile(lockFile, "utf8")) as { packages: Record<string, LockEntry> };
  const lockMtime = Math.max(await fileMtime(rootPkgFile), await fileMtime(lockFile));
  const { packages: lockedPackages, names: lockedNames } = bundleLock(
    lock,
    [
      { from: "agent", to: "", dependencies },
      ...vendorPackages.map(({ local, to, dependencies }) => ({
        from: path.relative(repoRoot, local.dir).split(path.sep).join("/"),
        to,
        dependencies,
      })),
    ],
    new Set(workspace.keys()),
  );
  // The repository's overrides that touch the bundle's packages (the lock was resolved with them).
  const overrides = Object.fromEntries(
    Object.entries(rootPkg.overrides ?? {}).filter(([spec]) =>
      lockedNames.has(spec.replace(/(?<=.)@.*$/, "")),
    ),
  );

  const pkgMtime = await fileMtime(path.join(agentDir, "package.json"));
  const bundlePkg = {
    name: "mailwarden-agent",
    version: agentPkg.version,
    description: "Mailwarden agent: SMTP server that enforces the lockdown policy pushed by the console",
    private: true,
    type: agentPkg.type ?? "module",
    bin: agentPkg.bin,
    engines: { node: ">=20" },
    dependencies,
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
  };
  entries.push(jsonEntry("package.json", bundlePkg, pkgMtime));
  const bundleLockFile = {
    name: bundlePkg.name,
    version: bundlePkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": {
        name: bundlePkg.name,
        version: bundlePkg.version,
        dependencies,
        bin: bundlePkg.bin,
        engines: bundlePkg.engines,
      },
      ...Object.fromEntries(
        vendorPackages.flatMap(({ local, to, dependencies }) => [
          [`node_modules/${local.pkg.name}`, { resolved: to, link: true }],
          [to, { name: local.pkg.name, version: local.pkg.version, dependencies }],
        ]),
      ),
      ...lockedPackages,
    },
  };
  entries.push(jsonEntry("package-lock.json", bundleLockFile, Math.max(pkgMtime, lockMtime)));
  const readme = path.join(agentDir, "README.md");
  entries.push({ name: "README.md", source: readme, mode: 0o644, mtimeMs: await fileMtime(readme) });
  await addTree(agentDir, "bin", "", () => 0o755);
  await addTree(agentDir, "src", "", () => 0o644);
  for (const { local, to, dependencies } of vendorPackages) {
    entries.push(
      jsonEntry(
        `${to}/package.json`,
        {
          name: local.pkg.name,
          version: local.pkg.version,
          private: true,
          type: local.pkg.type ?? "module",
          exports: local.pkg.exports,
          dependencies,
        },
        await fileMtime(path.join(local.dir, "package.json")),
      ),
    );
    await addTree(local.dir, "src", `${to}/`, () => 0o644);
  }
  // A deleted file changes no mtime that is left, but changes the list.
  return { entries, key: `${newest}:${keyParts.join("\n")}` };
}

// --- a minimal ustar writer (regular files and directories are all the bundle has) -----------------

function writeString(header: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(
    header,
    `${Math.floor(value)
      .toString(8)
      .padStart(length - 1, "0")}\0`,
    offset,
    length,
  );
}

function tarHeader(name: string, size: number, mode: number, mtimeMs: number, type: "0" | "5"): Buffer {
  const header = Buffer.alloc(512);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 2);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  writeString(header, base, 0, 100);
  writeOctal(header, mode, 100, 8);
  writeOctal(header, 0, 108, 8);
  writeOctal(header, 0, 116, 8);
  writeOctal(header, size, 124, 12);
  writeOctal(header, mtimeMs / 1000, 136, 12);
  header.fill(" ", 148, 156);
  writeString(header, type, 156, 1);
  writeString(header, "ustar\0", 257, 6);
  writeString(header, "00", 263, 2);
  writeString(header, "root", 265, 32);
  writeString(header, "root", 297, 32);
  writeString(header, prefix, 345, 155);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, `${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return header;
}

function tar(files: { name: string; content: Buffer; mode: number; mtimeMs: number }[]): Buffer {
  const blocks: Buffer[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join("/")}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      blocks.push(tarHeader(dir, 0, 0o755, file.mtimeMs, "5"));
    }
    blocks.push(tarHeader(file.name, file.content.length, file.mode, file.mtimeMs, "0"), file.content);
    const padding = (512 - (file.content.length % 512)) % 512;
    if (padding) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let bundleCache: { root: string; key: string; tgz: Buffer } | null = null;

/** The agent bundle as a .tgz with everything under mailwarden-agent/. */
export async function buildAgentBundle(repoRoot = findRepoRoot()): Promise<Buffer> {
  const { entries, key } = await collectEntries(repoRoot);
  if (bundleCache && bundleCache.root === repoRoot && bundleCache.key === key) return bundleCache.tgz;
  const files = await Promise.all(
    entries.map(async (entry) => ({
      name: `${BUNDLE_DIR}/${entry.name}`,
      content: typeof entry.source === "string" ? await readFile(entry.source) : entry.source,
      mode: entry.mode,
      mtimeMs: entry.mtimeMs,
    })),
  );
  const tgz = gzipSync(tar(files), { level: 9 });
  bundleCache = { root: repoRoot, key, tgz };
  return tgz;
}
