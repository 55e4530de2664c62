/**
 * The rule of docs/security.md, "guest files": a plugin (or the CLI) reaches a file
 * inside a VE's tree only through the guest-file API (Host.guestFs and core's
 * readGuestFile/writeGuestFile/statGuestFile), never by a host path. This test reads
 * the sources with the TypeScript checker and follows every value derived from a VE's
 * root or private area (`VePaths.root`/`.private`, the VE_ROOT/VE_PRIVATE keys) through
 * variables, parameters of the functions it is passed to, and functions that return
 * it; a call of HostFs, of node:fs or of ProcessService.run (a host program given such
 * a path) with such a value is a finding. The findings that must stay are listed below,
 * each with the reason it is not a guest file: they act on vzkit's own entries of the
 * private area (out of the VE's reach: it sees only what is below VE_PRIVATE/fs) or on
 * the directories that hold the tree, never on what the VE can change. A new finding
 * fails until it goes through the API or is reviewed into this list; an entry that no
 * longer matches fails too, so the list stays short and true.
 *
 * Plugins also may not import node:fs or node:child_process at all (ARCHITECTURE.md):
 * the Host is their only way to the kernel.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
/**
 * Source directories checked: every plugin's, the CLI's, and the examples' (a plugin
 * written from docs/plugins.md obeys the same rule). core defines the API; linux implements it.
 */
const CHECKED = [
  ...readdirSync(join(repo, 'packages')).filter((p) => p !== 'core' && p !== 'linux').map((p) => join(repo, 'packages', p, 'src')),
  ...readdirSync(join(repo, 'examples')).map((e) => join(repo, 'examples', e, 'src')),
].filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory());

interface Allowed {
  file: string;
  fn: string;
  reason: string;
}

const PRIVATE_AREA = "VE_PRIVATE's own entries (quota.json, quota.grace.json, disk.img, disk/, the fs and work links and their conversion steps fs.partial, fs.moved, fs.off): made by vzkit, out of the VE's reach (the VE sees only what is below VE_PRIVATE/fs)";
const CONVERTING = "a quota given or taken away moves the VE's files between VE_PRIVATE/fs and its disk, offline: the VE stopped and locked (start's mount, vzctl quotainit, vzquota init|on|off|drop), so nothing inside runs; cp, du and sync never follow a link (cp -R --no-dereference, du -x)";
const STOPPED = 'runs at create, mount or destroy, with the VE stopped: nothing inside can race it';

/** The reviewed exceptions: `file` relative to the repo, `fn` the function that makes the call. */
const ALLOWED: readonly Allowed[] = [
  // ns-fs: the private area and the mount point of the VE's root.
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'mountRoot', reason: "VE_ROOT (the mount point, a host directory), whether VE_PRIVATE/fs exists, VE_PRIVATE/work and the idmapped template's mount point: vzkit's own, before the overlay is mounted" },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'checkUpperOwner', reason: "stat of the VE's `/` (VE_PRIVATE/fs) itself, which the VE cannot replace, to compare its owner with LOCAL_UID" },
  { file: 'packages/ns-fs/src/convert.ts', fn: 'realDir', reason: 'VE_PRIVATE/fs is a real directory or the link to disk/fs that quota made: ' + PRIVATE_AREA },
  { file: 'packages/ns-fs/src/convert.ts', fn: 'convertPrivateArea', reason: "the offline conversion between kinds (set --local_uid ... --save: refused while the VE runs or is mounted): core's id walk (scanIds/shiftIds) lstat/lchown/l*xattr every entry of VE_PRIVATE/fs and never follows a link; " + STOPPED },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'checkReachable', reason: "hands the directories above VE_ROOT, the host's own, to parentStat" },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'parentStat', reason: "stat of the directories above VE_ROOT (checkReachable's), the host's own" },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'prepare', reason: 'hands VE_ROOT to checkReachable (above) and to the launcher\'s child ops (mounts, not file access)' },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'ownUpper', reason: "chown of the VE's `/` at create, before the VE ever ran" },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'create', reason: 'makes the private area: ' + STOPPED },
  { file: 'packages/ns-fs/src/plugin.ts', fn: 'destroy', reason: 'removes the private area: ' + STOPPED },
  { file: 'packages/ns-fs/src/private-area.ts', fn: 'mkdirMode', reason: 'makes VE_PRIVATE, fs and work at create: ' + STOPPED },
  { file: 'packages/ns-fs/src/private-area.ts', fn: 'createPrivateArea', reason: 'makes VE_PRIVATE, fs and work at create: ' + STOPPED },
  { file: 'packages/ns-fs/src/private-area.ts', fn: 'removePrivateArea', reason: 'destroy: removes the private area without crossing mount points (HostFs.remove), and an empty VE_ROOT; ' + STOPPED },
  // quota: the VE's disk (an image, a subvolume, a project directory) and its record.
  { file: 'packages/quota/src/backend.ts', fn: 'readRecord', reason: 'VE_PRIVATE/quota.json: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/backend.ts', fn: 'writeRecord', reason: 'VE_PRIVATE/quota.json: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/plugin.ts', fn: 'mount', reason: 'tune2fs on VE_PRIVATE/disk.img, with the VE stopped: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/plugin.ts', fn: 'destroy', reason: 'VE_PRIVATE/quota.json and an empty VE_PRIVATE: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/tools.ts', fn: 'runTool', reason: "quota's runner of host tools (cp, mkfs, tune2fs, resize2fs, e2fsck, btrfs); who hands it a path of the VE's tree is in this list too (checked below)" },
  { file: 'packages/quota/src/layout.ts', fn: 'linkLayers', reason: `${PRIVATE_AREA}; ${CONVERTING}` },
  { file: 'packages/quota/src/layout.ts', fn: 'unlinkLayers', reason: PRIVATE_AREA },
  { file: 'packages/quota/src/layout.ts', fn: 'makeDir', reason: 'disk/fs, disk/work and VE_PRIVATE/work made empty: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/layout.ts', fn: 'copyComplete', reason: `the copy of the VE's files through NAME.partial, renamed when complete: ${CONVERTING}` },
  { file: 'packages/quota/src/layout.ts', fn: 'copyOnto', reason: `VE_PRIVATE/fs onto the disk (whether it is empty, whether disk/fs is there): ${CONVERTING}` },
  { file: 'packages/quota/src/layout.ts', fn: 'copyOff', reason: `disk/fs off the disk into VE_PRIVATE/fs.off: ${CONVERTING}` },
  { file: 'packages/quota/src/layout.ts', fn: 'hasCopyOff', reason: 'whether VE_PRIVATE/fs.off exists: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/layout.ts', fn: 'unlinkOff', reason: `the links replaced by VE_PRIVATE/fs.off and an empty work: ${CONVERTING}` },
  { file: 'packages/quota/src/layout.ts', fn: 'restoreMoved', reason: `VE_PRIVATE/fs.moved renamed back or removed after a killed conversion: ${CONVERTING}` },
  { file: 'packages/quota/src/layout.ts', fn: 'layersLinked', reason: 'lstat of VE_PRIVATE/fs itself (a link or a directory): ' + PRIVATE_AREA },
  { file: 'packages/quota/src/layout.ts', fn: 'removePartials', reason: 'VE_PRIVATE/fs.partial, an incomplete copy: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/layout.ts', fn: 'removeCopyOff', reason: 'VE_PRIVATE/fs.off of a conversion undone: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/copy.ts', fn: 'copyTree', reason: `cp -R --no-dereference of the VE's files: ${CONVERTING}` },
  { file: 'packages/quota/src/copy.ts', fn: 'treeUsage', reason: `du -s -x of the VE's files, before a conversion: ${CONVERTING}` },
  { file: 'packages/quota/src/copy.ts', fn: 'syncFs', reason: `sync -f (syncfs) of the filesystem a copy went to: ${CONVERTING}` },
  { file: 'packages/quota/src/convert.ts', fn: 'removeImage', reason: 'VE_PRIVATE/disk and disk.img once the VE\'s files are off them, or never were on them: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/convert.ts', fn: 'settle', reason: `which conversion steps a killed vzctl left in VE_PRIVATE: ${PRIVATE_AREA}; ${CONVERTING}` },
  { file: 'packages/quota/src/convert.ts', fn: 'moveOnto', reason: `lstat of VE_PRIVATE/fs, then the disk made and the files moved onto it: ${CONVERTING}` },
  { file: 'packages/quota/src/convert.ts', fn: 'moveOff', reason: `statfs of VE_PRIVATE's filesystem (room for the files), then the files moved off the disk: ${CONVERTING}` },
  { file: 'packages/quota/src/grace.ts', fn: 'readGrace', reason: 'VE_PRIVATE/quota.grace.json: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/grace.ts', fn: 'writeGrace', reason: 'VE_PRIVATE/quota.grace.json: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/grace.ts', fn: 'removeGrace', reason: 'VE_PRIVATE/quota.grace.json: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/plugin.ts', fn: 'observe', reason: 'hands VE_PRIVATE to readGrace/writeGrace (the grace clocks): ' + PRIVATE_AREA },
  { file: 'packages/quota/src/plugin.ts', fn: 'lastLook', reason: 'hands VE_PRIVATE to readGrace (the grace clocks): ' + PRIVATE_AREA },
  { file: 'packages/quota/src/backend.ts', fn: 'removeRecord', reason: 'VE_PRIVATE/quota.json: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/image.ts', fn: 'mountDisk', reason: 'VE_PRIVATE/disk.img and its mount point VE_PRIVATE/disk: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/image.ts', fn: 'hold', reason: 'statfs of the image mounted at VE_PRIVATE/disk: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/btrfs.ts', fn: 'isSubvolume', reason: 'btrfs subvolume show of VE_PRIVATE itself, whether it is a subvolume' },
  { file: 'packages/quota/src/btrfs.ts', fn: 'setLimitKb', reason: 'btrfs qgroup limit on VE_PRIVATE, the subvolume itself' },
  { file: 'packages/quota/src/btrfs.ts', fn: 'limitSubvolume', reason: 'btrfs quota enable and qgroup limit on VE_PRIVATE, the subvolume itself' },
  { file: 'packages/quota/src/project.ts', fn: 'projectTree', reason: `find -xdev -type d|f -exec chattr -p ID of VE_PRIVATE (the VE's directories and files into or out of its project; find never follows a link): ${CONVERTING}` },
  { file: 'packages/quota/src/image.ts', fn: 'setup', reason: 'VE_PRIVATE and its disk.img at create: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/image.ts', fn: 'attach', reason: 'VE_PRIVATE/disk.img and its mount point VE_PRIVATE/disk: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/image.ts', fn: 'apply', reason: 'statfs of the image mounted at VE_PRIVATE/disk: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/image.ts', fn: 'usage', reason: 'statfs of the image mounted at VE_PRIVATE/disk: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/image.ts', fn: 'remove', reason: 'VE_PRIVATE/disk and disk.img at destroy: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/e2fs.ts', fn: 'makeImage', reason: 'the image file VE_PRIVATE/disk.img: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/e2fs.ts', fn: 'resizeOffline', reason: 'the image file VE_PRIVATE/disk.img: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/e2fs.ts', fn: 'readSuperblock', reason: 'dumpe2fs -h of the image file VE_PRIVATE/disk.img: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/e2fs.ts', fn: 'growOnline', reason: 'the image file VE_PRIVATE/disk.img and statfs of its mount point: ' + PRIVATE_AREA },
  { file: 'packages/quota/src/ugid.ts', fn: 'prepareUgid', reason: "VE_PRIVATE/disk/.vzquota, the image's own directory (the VE sees only disk/fs): " + PRIVATE_AREA },
  { file: 'packages/quota/src/btrfs.ts', fn: 'btrfs', reason: 'runs btrfs commands on VE_PRIVATE, the subvolume itself (its callers are the entries below)' },
  { file: 'packages/quota/src/btrfs.ts', fn: 'ensureQuotasOn', reason: 'btrfs qgroup show / quota enable on VE_PRIVATE, the subvolume itself' },
  { file: 'packages/quota/src/btrfs.ts', fn: 'usage', reason: 'btrfs qgroup show of VE_PRIVATE, the subvolume itself' },
  { file: 'packages/quota/src/btrfs.ts', fn: 'setup', reason: 'makes VE_PRIVATE as a subvolume at create: ' + STOPPED },
  { file: 'packages/quota/src/btrfs.ts', fn: 'remove', reason: 'deletes the subvolume VE_PRIVATE at destroy: ' + STOPPED },
  { file: 'packages/quota/src/project.ts', fn: 'setup', reason: 'makes VE_PRIVATE with the project id at create, or gives a stopped VE\'s files the project when it is given a quota after create: ' + STOPPED },
  { file: 'packages/quota/src/detect.ts', fn: 'existingAbove', reason: "the nearest existing directory at or above VE_PRIVATE, a host directory, to pick the backend" },
  { file: 'packages/quota/src/detect.ts', fn: 'probePrivate', reason: "statfs of VE_PRIVATE's nearest existing parent, a host directory" },
  { file: 'packages/quota/src/detect.ts', fn: 'chooseBackend', reason: 'hands VE_PRIVATE to probePrivate (above)' },
  { file: 'packages/quota/src/detect.ts', fn: 'backendOf', reason: 'hands VE_PRIVATE to chooseBackend (above)' },
  // backup: GNU tar reads a VE's files for vzdump and writes a new VE's for vzrestore.
  { file: 'packages/backup/src/programs.ts', fn: 'runProgram', reason: "the backup tools' runner of tar and zstd: tar reads VE_PRIVATE/fs only with the VE held still (Runtime.hold: stopped, or its processes frozen; its lock held), archiving links as links (never following one) and staying on that filesystem; it unpacks only into the private area of a VE being created, before anything of it runs. Its callers are listed below" },
  { file: 'packages/backup/src/archive.ts', fn: 'writeArchive', reason: 'hands VE_PRIVATE/fs to tar --create (runProgram, above), the VE held still' },
  { file: 'packages/backup/src/archive.ts', fn: 'unpackArchive', reason: "hands a new VE's VE_PRIVATE/fs to tar --extract (runProgram, above) during its create (CreateRequest.fill)" },
  { file: 'packages/backup/src/vzdump.ts', fn: 'dumpHeld', reason: 'hands the held VE\'s VE_PRIVATE/fs to writeArchive (above)' },
  { file: 'packages/backup/src/vzrestore.ts', fn: 'run', reason: "hands the new VE's VE_PRIVATE/fs to unpackArchive (above), inside create's fill" },
];

interface Finding {
  file: string;
  fn: string;
  line: number;
  call: string;
}

/** A call that hands such a path to another function of the checked sources. */
interface Edge {
  file: string;
  fn: string;
  calleeFile: string;
  callee: string;
}

/** The compiler's view of the checked packages, with @vzkit/* resolved to their sources; `extra` adds a file that is not on disk. */
function program(extra?: { path: string; text: string }): ts.Program {
  const config = ts.readConfigFile(join(repo, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: unknown };
  const { options } = ts.parseJsonConfigFileContent({ compilerOptions: config.compilerOptions }, ts.sys, repo);
  const roots: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts')) roots.push(join(dir, e.name));
    }
  };
  for (const dir of CHECKED) walk(dir);
  const opts = { ...options, noEmit: true, composite: false, declaration: false, declarationMap: false, sourceMap: false };
  const host = ts.createCompilerHost(opts);
  if (extra) {
    const { getSourceFile, fileExists, readFile } = host;
    host.getSourceFile = (name, lang, ...rest) => (name === extra.path ? ts.createSourceFile(name, extra.text, lang) : getSourceFile.call(host, name, lang, ...rest));
    host.fileExists = (name) => name === extra.path || fileExists.call(host, name);
    host.readFile = (name) => (name === extra.path ? extra.text : readFile.call(host, name));
    roots.push(extra.path);
  }
  return ts.createProgram(roots, opts, host);
}

function analyse(prog: ts.Program): { findings: Finding[]; edges: Edge[] } {
  const checker = prog.getTypeChecker();
  const files = prog.getSourceFiles().filter((f) => CHECKED.some((dir) => f.fileName.startsWith(`${dir}/`)));
  const tainted = new Set<ts.Symbol>();
  const taintedFns = new Set<ts.Symbol>();

  const resolved = (s: ts.Symbol | undefined): ts.Symbol | undefined => (s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const symbolOf = (n: ts.Node): ts.Symbol | undefined =>
    resolved(ts.isShorthandPropertyAssignment(n.parent) && n.parent.name === n ? checker.getShorthandAssignmentValueSymbol(n.parent) : checker.getSymbolAtLocation(n));
  const typeName = (n: ts.Node): string | undefined => {
    const t = checker.getTypeAtLocation(n);
    return (t.aliasSymbol ?? t.getSymbol())?.getName();
  };
  const declaredIn = (s: ts.Symbol | undefined, path: string) => !!s?.declarations?.some((d) => d.getSourceFile().fileName.includes(path));

  const isKey = (n: ts.Node): boolean =>
    (ts.isIdentifier(n) && (n.text === 'VE_ROOT' || n.text === 'VE_PRIVATE') && declaredIn(symbolOf(n), 'packages/core/src/core-keys.ts')) ||
    (ts.isStringLiteral(n) && (n.text === 'VE_ROOT' || n.text === 'VE_PRIVATE'));
  /** A VE's root or private area itself: `paths.root`, `paths.private`, a read of the VE_ROOT/VE_PRIVATE keys. */
  const isSource = (n: ts.Node): boolean =>
    (ts.isPropertyAccessExpression(n) && (n.name.text === 'root' || n.name.text === 'private') && typeName(n.expression) === 'VePaths') ||
    (ts.isCallExpression(n) && n.arguments.some(isKey));

  const calleeOf = (call: ts.CallExpression): ts.Symbol | undefined => symbolOf(ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression);

  /**
   * Whether a call's result is itself such a path: a function of the sources that returns
   * one, node:path's functions, a string or array method, or any call that makes a string,
   * of such a path. Anything else a call returns (a promise of what a file holds, a
   * statfs, a backend's name) is not a path.
   */
  const callTainted = (call: ts.CallExpression, visit: (n: ts.Node) => void): void => {
    const callee = calleeOf(call);
    if (callee && taintedFns.has(callee)) {
      found = true;
      return;
    }
    const builder = declaredIn(callee, '@types/node/path') || declaredIn(callee, 'typescript/lib/lib.') ||
      // Any other function that makes a string of such a path (core's substituteCtid).
      !!(checker.getTypeAtLocation(call).flags & ts.TypeFlags.StringLike);
    if (!builder) return;
    if (ts.isPropertyAccessExpression(call.expression)) visit(call.expression.expression);
    for (const a of call.arguments) visit(a);
  };
  let found = false;
  const isTainted = (expr: ts.Node): boolean => {
    found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (isSource(n)) found = true;
      else if (ts.isIdentifier(n) && tainted.has(symbolOf(n)!)) found = true;
      else if (ts.isCallExpression(n)) callTainted(n, visit);
      // A function written inside is not a value derived from the path, nor is a new object.
      else if (!ts.isFunctionLike(n) && !ts.isNewExpression(n)) ts.forEachChild(n, visit);
    };
    visit(expr);
    return found;
  };

  const taint = (s: ts.Symbol | undefined): boolean => {
    if (!s || tainted.has(s)) return false;
    tainted.add(s);
    return true;
  };

  const bindNames = (name: ts.BindingName, init: ts.Expression | undefined): boolean => {
    let changed = false;
    if (ts.isIdentifier(name)) return init !== undefined && isTainted(init) && taint(symbolOf(name));
    // `const { root, private: priv } = ve.paths`: those two names, not the rest of VePaths.
    const paths = init !== undefined && typeName(init) === 'VePaths';
    for (const el of name.elements) {
      if (ts.isOmittedExpression(el)) continue;
      const prop = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : ts.isIdentifier(el.name) ? el.name.text : '';
      if (paths ? prop === 'root' || prop === 'private' : init !== undefined && isTainted(init)) {
        if (ts.isIdentifier(el.name)) changed = taint(symbolOf(el.name)) || changed;
        else changed = bindNames(el.name, init) || changed;
      }
    }
    return changed;
  };

  const fnSymbol = (f: ts.SignatureDeclaration): ts.Symbol | undefined => {
    if ((ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) && f.name) return symbolOf(f.name);
    if ((ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && ts.isVariableDeclaration(f.parent) && ts.isIdentifier(f.parent.name)) return symbolOf(f.parent.name);
    return undefined;
  };

  const returnsTainted = (f: ts.SignatureDeclaration & { body?: ts.Node }): boolean => {
    if (!f.body) return false;
    if (!ts.isBlock(f.body)) return isTainted(f.body);
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found || (ts.isFunctionLike(n) && n !== f)) return;
      if (ts.isReturnStatement(n) && n.expression && isTainted(n.expression)) found = true;
      else ts.forEachChild(n, visit);
    };
    ts.forEachChild(f.body, visit);
    return found;
  };

  // Propagate to a fixed point: variables, assignments, parameters of callees, returns.
  for (let changed = true; changed; ) {
    changed = false;
    for (const sf of files) {
      const visit = (n: ts.Node): void => {
        if (ts.isVariableDeclaration(n)) changed = bindNames(n.name, n.initializer) || changed;
        else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && isTainted(n.right)) changed = taint(symbolOf(n.left)) || changed;
        else if (ts.isCallExpression(n)) {
          const decl = calleeOf(n)?.declarations?.find((d): d is ts.SignatureDeclaration => ts.isFunctionLike(d) || (ts.isVariableDeclaration(d) && !!d.initializer && ts.isFunctionLike(d.initializer)));
          const fn = decl && ts.isVariableDeclaration(decl as ts.Node) ? ((decl as ts.Node as ts.VariableDeclaration).initializer as unknown as ts.SignatureDeclaration) : decl;
          if (fn && fn.getSourceFile() && files.includes(fn.getSourceFile())) {
            n.arguments.forEach((arg, i) => {
              const p = fn.parameters[Math.min(i, fn.parameters.length - 1)];
              if (p && isTainted(arg)) changed = (ts.isIdentifier(p.name) ? taint(symbolOf(p.name)) : bindNames(p.name, arg)) || changed;
            });
          }
        }
        if (ts.isFunctionLike(n)) {
          const s = fnSymbol(n);
          if (s && !taintedFns.has(s) && returnsTainted(n as ts.SignatureDeclaration & { body?: ts.Node })) {
            taintedFns.add(s);
            changed = true;
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
  }

  /** A call that reaches files by host path: HostFs, node:fs, or a host program's argv. */
  const isSink = (call: ts.CallExpression): boolean => {
    const callee = call.expression;
    if (ts.isPropertyAccessExpression(callee)) {
      const owner = typeName(callee.expression);
      if (owner === 'HostFs' || owner === 'LinuxHostFs' || owner === 'FakeFs') return true;
      if (owner === 'ProcessService' && callee.name.text === 'run') return true;
    }
    return declaredIn(calleeOf(call), '@types/node/fs');
  };

  const enclosing = (n: ts.Node): string => {
    for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
      if ((ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p)) && p.name) return p.name.getText();
      if ((ts.isArrowFunction(p) || ts.isFunctionExpression(p)) && ts.isVariableDeclaration(p.parent)) return p.parent.name.getText();
      if ((ts.isArrowFunction(p) || ts.isFunctionExpression(p)) && ts.isPropertyAssignment(p.parent)) return p.parent.name.getText();
    }
    return '<module>';
  };

  const findings: Finding[] = [];
  const edges: Edge[] = [];
  for (const sf of files) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.arguments.some((a) => isTainted(a))) {
        const file = relative(repo, sf.fileName);
        if (isSink(n)) {
          findings.push({ file, fn: enclosing(n), line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, call: n.expression.getText() });
        }
        const callee = calleeOf(n);
        const decl = callee?.declarations?.[0];
        if (callee && decl && files.includes(decl.getSourceFile())) edges.push({ file, fn: enclosing(n), calleeFile: relative(repo, decl.getSourceFile().fileName), callee: callee.getName() });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { findings, edges };
}

describe("guest files are reached only through the guest-file API", () => {
  const { findings, edges } = analyse(program());
  const allowed = (f: { file: string; fn: string }) => ALLOWED.some((a) => a.file === f.file && a.fn === f.fn);

  it('no plugin or CLI code calls HostFs, node:fs or a host program on a path inside a VE\'s tree, but the reviewed exceptions', () => {
    const bad = findings.filter((f) => !allowed(f)).map((f) => `${f.file}:${f.line} ${f.fn}: ${f.call}(...) on a path in a VE's tree: use readGuestFile/writeGuestFile/statGuestFile (Host.guestFs), or review it into ALLOWED with its reason`);
    expect(bad).toEqual([]);
  });

  it('whoever hands such a path to an exception is reviewed too: a helper in the list cannot be reused on a guest file unseen', () => {
    const bad = edges.filter((e) => allowed({ file: e.calleeFile, fn: e.callee }) && !allowed(e)).map((e) => `${e.file} ${e.fn} passes a path in a VE's tree to ${e.calleeFile} ${e.callee}`);
    expect([...new Set(bad)]).toEqual([]);
  });

  it('every exception is still needed and says why', () => {
    const needed = (a: Allowed) =>
      findings.some((f) => f.file === a.file && f.fn === a.fn) || edges.some((e) => e.file === a.file && e.fn === a.fn && allowed({ file: e.calleeFile, fn: e.callee }));
    expect(ALLOWED.filter((a) => !needed(a)).map((a) => `${a.file} ${a.fn}`)).toEqual([]);
    for (const a of ALLOWED) expect(a.reason.length).toBeGreaterThan(20);
  });

  // A second TypeScript program: seconds on a busy machine.
  it('the checker finds such a path through a variable, a parameter and a return value, and nothing else', { timeout: 60_000 }, () => {
    const path = join(repo, 'packages/distro/src/__guest-access-sample__.ts');
    const text = [
      "import { join } from 'node:path';",
      "import { readFileSync } from 'node:fs';",
      "import { VE_ROOT, substituteCtid, type HookContext, type HostFs, type Runtime } from '@vzkit/core';",
      "export async function direct(ctx: HookContext) { await ctx.host.fs.readFile(join(ctx.ve.paths.root, 'etc/hosts')); }",
      'function helper(fs: HostFs, dir: string) { return fs.writeFile(`${dir}/etc/x`, "x"); }',
      'export async function viaParam(ctx: HookContext) { const { root } = ctx.ve.paths; await helper(ctx.host.fs, root); }',
      'function area(ctx: HookContext) { return ctx.ve.paths.private; }',
      'export async function viaReturn(ctx: HookContext) { const p = area(ctx); await ctx.host.processes.run(["cp", "-a", p, "/tmp"]); }',
      'export function viaKey(ctx: HookContext) { const r = ctx.ve.config.get(VE_ROOT) ?? ""; return readFileSync(r + "/etc/passwd"); }',
      "export async function viaCore(rt: Runtime) { const r = (await rt.config(1)).get(VE_ROOT); if (r) await rt.host.fs.exists(substituteCtid(r, 1) + '/bin/bash'); }",
      "export async function clean(ctx: HookContext) { await ctx.host.fs.readFile('/proc/meminfo'); await ctx.host.fs.readFile(ctx.ve.paths.conf); }",
    ].join('\n');
    const found = analyse(program({ path, text })).findings.filter((f) => f.file.endsWith('__guest-access-sample__.ts'));
    expect(found.map((f) => `${f.fn} ${f.call}`).sort()).toEqual([
      'direct ctx.host.fs.readFile', 'helper fs.writeFile', 'viaCore rt.host.fs.exists', 'viaKey readFileSync', 'viaReturn ctx.host.processes.run',
    ]);
  });
});
