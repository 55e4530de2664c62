/**
 * What a vzkit backup archive holds, in this order, as one tar stream compressed by zstd:
 *
 * - `vzdump/ve.conf` — the VE's config file as it was;
 * - `private/fs/...` — the VE's own files (the overlay's upper layer: what it changed of
 *   its template), with their numeric owners, modes, ACLs, extended attributes (file
 *   capabilities, overlayfs' whiteouts and opaque directories), device nodes and holes;
 * - `vzdump/manifest.json` — last: what the archive is (CTID, mode, template, the host
 *   ids its files belong to) and the sha256 sums of every regular member and of all the
 *   bytes before it.
 *
 * The manifest is last because its sums are of what went by: written as the archive
 * is, never by reading the VE's files twice. A reader hashes the same bytes and compares.
 */
import { createHash, type Hash } from 'node:crypto';
import { END_OF_ARCHIVE, fileHeader, padding, TarDamage, TarReader, type TarMember } from './tar.js';

export const CONFIG_MEMBER = 'vzdump/ve.conf';
export const MANIFEST_MEMBER = 'vzdump/manifest.json';
/** Where the VE's files are in the archive. */
export const PRIVATE_MEMBER = 'private/fs';
export const FORMAT = 'vzkit-backup/1';

/** One regular file's sum. */
export interface FileSum {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof FORMAT;
  ctid: number;
  /** ISO time the archive was finished. */
  created: string;
  /** How the VE was held still (`stop`, `suspend`) and what it was: running, mounted, stopped. */
  mode: 'stop' | 'suspend';
  state: 'running' | 'mounted' | 'stopped';
  /** What was done to it: frozen, stopped and started again, or nothing (it did not run). */
  held: 'frozen' | 'stopped' | 'none';
  /** The OS template its files lie over, and what that template's stamp said. */
  ostemplate?: string;
  template?: { created?: string; source?: string };
  /** Host uid and gid of the VE's root, which its files in the archive belong to (0 and 0: the host root's). */
  ids: { uid: number; gid: number };
  /** All the bytes of the tar stream before the manifest's own header. */
  payload: { bytes: number; sha256: string };
  /** Every regular member, in archive order. */
  files: FileSum[];
}

/** The manifest's member, with its padding. */
export function manifestMember(m: Manifest): Uint8Array[] {
  const body = new TextEncoder().encode(`${JSON.stringify(m, null, 1)}\n`);
  return [fileHeader(MANIFEST_MEMBER, body.length), body, padding(body.length), END_OF_ARCHIVE];
}

/** The config's member: the first of the archive. */
export function configMember(text: string): Uint8Array[] {
  const body = new TextEncoder().encode(text);
  return [fileHeader(CONFIG_MEMBER, body.length), body, padding(body.length)];
}

/** sha256 of each regular member as it goes by. */
class MemberSums {
  readonly files: FileSum[] = [];
  private hash: Hash | undefined;
  private bytes = 0;

  member(m: TarMember): void {
    this.hash = m.type === 'file' ? createHash('sha256') : undefined;
    this.bytes = 0;
  }

  data(chunk: Uint8Array): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
  }

  end(m: TarMember): FileSum | undefined {
    if (!this.hash) return undefined;
    const sum = { path: m.name, bytes: this.bytes, sha256: this.hash.digest('hex') };
    this.hash = undefined;
    this.files.push(sum);
    return sum;
  }
}

/** Is `name` the VE's files' top or below it? */
function inPrivate(name: string): boolean {
  return name === PRIVATE_MEMBER || name.startsWith(`${PRIVATE_MEMBER}/`);
}

/**
 * The archive being written: the config member first, then GNU tar's stream of the
 * private area (without its end marker), then — `finish` — the manifest and the end.
 * Everything goes to `out`, which may wait (the compressor's pipe).
 */
export class ArchiveWriter {
  private readonly payload = createHash('sha256');
  private bytes = 0;
  private readonly sums = new MemberSums();
  private readonly reader: TarReader;
  private pending: Uint8Array[] = [];
  /** Regular files and bytes of file data seen so far (progress). */
  files = 0;
  dataBytes = 0;

  constructor(private readonly out: (chunk: Uint8Array) => Promise<void>) {
    this.reader = new TarReader({
      member: (m) => {
        if (!inPrivate(m.name)) throw new TarDamage(`tar wrote a member '${m.name}' outside ${PRIVATE_MEMBER}`, this.reader.offset);
        this.sums.member(m);
      },
      data: (c) => {
        this.sums.data(c);
        this.dataBytes += c.length;
      },
      memberEnd: (m) => {
        if (this.sums.end(m)) this.files++;
      },
      raw: (c) => this.pending.push(c.slice()),
    });
  }

  /** The config member, before anything of tar's. */
  async begin(configText: string): Promise<void> {
    const sums = new MemberSums();
    const parts = configMember(configText);
    sums.member({ name: CONFIG_MEMBER, type: 'file', size: parts[1]!.length, mode: 0o600, uid: 0, gid: 0 });
    sums.data(parts[1]!);
    this.sums.files.push(sums.end({ name: CONFIG_MEMBER, type: 'file', size: parts[1]!.length, mode: 0o600, uid: 0, gid: 0 })!);
    for (const p of parts) await this.emit(p);
  }

  /** A chunk of GNU tar's output. */
  async tar(chunk: Uint8Array): Promise<void> {
    this.reader.push(chunk);
    const out = this.pending;
    this.pending = [];
    for (const c of out) await this.emit(c);
  }

  /** tar is done: the manifest (completed from `meta`) and the end marker. */
  async finish(meta: Omit<Manifest, 'payload' | 'files' | 'format'>): Promise<Manifest> {
    this.reader.end();
    const manifest: Manifest = { format: FORMAT, ...meta, payload: { bytes: this.bytes, sha256: this.payload.digest('hex') }, files: this.sums.files };
    for (const p of manifestMember(manifest)) await this.out(p);
    return manifest;
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.payload.update(chunk);
    this.bytes += chunk.length;
    await this.out(chunk);
  }
}

/** What a checked archive holds besides the VE's files. */
export interface CheckedArchive {
  config: string;
  manifest: Manifest;
}

const MAX_CONFIG = 1 << 20;
const MAX_MANIFEST = 1 << 30;

function isSum(v: unknown): v is FileSum {
  const f = v as FileSum;
  return typeof f === 'object' && f !== null && typeof f.path === 'string' && Number.isSafeInteger(f.bytes) && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256);
}

/** Parses and checks the shape of a manifest; the reason it is not one otherwise. */
export function parseManifest(text: string): Manifest | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'its manifest is not JSON';
  }
  const m = v as Partial<Manifest>;
  if (typeof m !== 'object' || m === null) return 'its manifest is not an object';
  if (m.format !== FORMAT) return `its format is ${JSON.stringify(m.format)}, not ${FORMAT}`;
  if (!Number.isSafeInteger(m.ctid)) return 'its manifest names no CTID';
  if (m.mode !== 'stop' && m.mode !== 'suspend') return 'its manifest names no mode';
  if (!m.ids || !Number.isSafeInteger(m.ids.uid) || !Number.isSafeInteger(m.ids.gid) || m.ids.uid < 0 || m.ids.gid < 0) return 'its manifest names no ids';
  if (!m.payload || !Number.isSafeInteger(m.payload.bytes) || typeof m.payload.sha256 !== 'string') return 'its manifest has no payload sum';
  if (!Array.isArray(m.files) || !m.files.every(isSum)) return 'its manifest has no list of sums';
  if (m.ostemplate !== undefined && typeof m.ostemplate !== 'string') return 'its manifest names a template that is no name';
  return m as Manifest;
}

/**
 * Reads an archive as it streams by (decompressed) and checks it whole: the layout above,
 * every tar header, every regular member's sum against the manifest, the payload's sum,
 * nothing after the end. `result` throws TarDamage naming what is wrong.
 */
export class ArchiveChecker {
  private readonly payload = createHash('sha256');
  private bytes = 0;
  private inManifest = false;
  private afterManifest = false;
  private readonly sums = new MemberSums();
  private readonly reader: TarReader;
  private index = 0;
  private config: Uint8Array[] = [];
  private configBytes = 0;
  private manifest: Uint8Array[] = [];
  private manifestBytes = 0;
  private capture: 'config' | 'manifest' | undefined;
  /** Regular files and bytes of file data seen so far (progress). */
  files = 0;
  dataBytes = 0;

  /** `raw`: every byte of the archive before its end marker, in order (what is unpacked). */
  constructor(private readonly raw?: (chunk: Uint8Array) => void) {
    this.reader = new TarReader({
      member: (m) => this.member(m),
      data: (c) => {
        this.sums.data(c);
        this.dataBytes += c.length;
        if (this.capture === 'config') this.keep(this.config, c, (this.configBytes += c.length), MAX_CONFIG, 'its config');
        if (this.capture === 'manifest') this.keep(this.manifest, c, (this.manifestBytes += c.length), MAX_MANIFEST, 'its manifest');
      },
      memberEnd: (m) => {
        const sum = this.sums.end(m);
        if (sum && !this.inManifest) this.files++;
        this.capture = undefined;
      },
      raw: (c) => {
        if (!this.inManifest) {
          this.payload.update(c);
          this.bytes += c.length;
        }
        this.raw?.(c);
      },
    });
  }

  private keep(into: Uint8Array[], c: Uint8Array, total: number, max: number, what: string): void {
    if (total > max) throw new TarDamage(`${what} is larger than ${max} bytes`, this.reader.offset);
    into.push(c.slice());
  }

  private member(m: TarMember): void {
    const at = this.reader.offset;
    const i = this.index++;
    if (this.afterManifest || this.inManifest) throw new TarDamage(`member '${m.name}' after the manifest`, at);
    if (i === 0) {
      if (m.name !== CONFIG_MEMBER || m.type !== 'file') throw new TarDamage(`its first member is '${m.name}', not ${CONFIG_MEMBER}: not a vzkit backup`, at);
      this.capture = 'config';
    } else if (m.name === MANIFEST_MEMBER) {
      if (m.type !== 'file') throw new TarDamage(`${MANIFEST_MEMBER} is not a file`, at);
      this.inManifest = true;
      this.capture = 'manifest';
    } else if (!inPrivate(m.name)) {
      throw new TarDamage(`member '${m.name}' is neither the config, the VE's files nor the manifest`, at);
    }
    this.sums.member(m);
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  /** The stream ended: the config and the manifest, once every check passed. */
  result(): CheckedArchive {
    this.reader.end();
    const at = this.reader.offset;
    if (!this.inManifest) throw new TarDamage(`it has no ${MANIFEST_MEMBER} (truncated, or not a vzkit backup)`, at);
    const parsed = parseManifest(Buffer.concat(this.manifest).toString('utf8'));
    if (typeof parsed === 'string') throw new TarDamage(parsed, at);
    // The files first: a damaged one is named. The manifest's own member is the last sum taken.
    const seen = this.sums.files.slice(0, -1);
    for (let i = 0; i < Math.min(seen.length, parsed.files.length); i++) {
      const a = seen[i]!;
      const b = parsed.files[i]!;
      if (a.path !== b.path) throw new TarDamage(`its file ${i + 1} is ${a.path}, where the manifest lists ${b.path}`, at);
      if (a.bytes !== b.bytes || a.sha256 !== b.sha256) {
        throw new TarDamage(`${a.path} has sha256 ${a.sha256} (${a.bytes} bytes), the manifest says ${b.sha256} (${b.bytes} bytes)`, at);
      }
    }
    if (seen.length !== parsed.files.length) throw new TarDamage(`it holds ${seen.length} files, the manifest lists ${parsed.files.length}`, at);
    // Headers too: owners, modes, names, links are in no file's sum.
    const payload = this.payload.digest('hex');
    if (parsed.payload.bytes !== this.bytes || parsed.payload.sha256 !== payload) {
      throw new TarDamage(`its tar stream has sha256 ${payload} over ${this.bytes} bytes, the manifest says ${parsed.payload.sha256} over ${parsed.payload.bytes}`, at);
    }
    return { config: Buffer.concat(this.config).toString('utf8'), manifest: parsed };
  }
}
