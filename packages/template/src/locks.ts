/**
 * Who may work on a template at a time. Two locks, taken in this order:
 *
 * - the template's lock in its vzkit root, `<template dir>/.<NAME>.lock`: a build, an
 *   unpack, an import and a removal of NAME in one root never overlap, and a `vzctl
 *   create` marks itself as a user of NAME under it (see {@link markCreating});
 * - the machine's lock of a cached template, `<cache>/.<NAME>.lock`: every vzkit root of
 *   the machine shares the cache, so two roots (two test files, two admins) that both
 *   lack NAME build it once: the second waits, then unpacks the first one's tarball.
 *
 * Both are {@link FileLock}s: a killed holder's lock is taken over, nothing stays behind.
 */
import { join } from 'node:path';
import { FileLock, isVzError, type Host } from '@vzkit/core';
import { checkTemplateName } from './layout.js';
import type { Progress } from './progress.js';

/** Longest wait for another process's work on a template (a Debian build from a slow mirror). */
export const TEMPLATE_LOCK_WAIT_MS = 60 * 60_000;

/** The lock of template `name` in template directory `dir`. */
export function templateLock(host: Host, dir: string, name: string): FileLock {
  checkTemplateName(name);
  return new FileLock(join(dir, `.${name}.lock`), `OS template '${name}'`, host.processes, host.fs);
}

/** The machine-wide lock of template `name`'s tarball in the template cache `cacheDir`. */
export function cacheLock(host: Host, cacheDir: string, name: string): FileLock {
  checkTemplateName(name);
  return new FileLock(join(cacheDir, `.${name}.lock`), `OS template '${name}' in the machine cache ${cacheDir}`, host.processes, host.fs);
}

/** Runs `fn` holding `lock`, saying once on `progress` whom it waits for. */
export function holding<T>(lock: FileLock, op: string, progress: Progress, fn: () => Promise<T>): Promise<T> {
  return lock.with({
    op,
    waitMs: TEMPLATE_LOCK_WAIT_MS,
    onWait: (h) => progress(`waiting for pid ${h.pid} (${h.op}) to finish with it`),
  }, fn);
}

const CREATING = /^\.(.+)\.creating-(\d+)$/;

function markerPath(dir: string, name: string, ctid: number): string {
  return join(dir, `.${name}.creating-${ctid}`);
}

/**
 * Marks CT `ctid` as being made from template `name` (call it under the template's
 * lock, once the template is there): until its config names the template, only this
 * marker tells `vztmpl remove` that the template is in use.
 */
export async function markCreating(host: Host, dir: string, name: string, ctid: number): Promise<void> {
  const start = await host.processes.startTime(process.pid);
  await host.fs.writeFile(markerPath(dir, name, ctid), `${process.pid}\n${start ?? ''}\n`, { mode: 0o600 });
}

/** Drops the creation markers of CT `ctid` (the create is committed or undone). */
export async function unmarkCreating(host: Host, dir: string, ctid: number): Promise<void> {
  if (!(await host.fs.exists(dir))) return;
  for (const entry of await host.fs.readdir(dir)) {
    if (CREATING.exec(entry)?.[2] === String(ctid)) await removeQuietly(host, join(dir, entry));
  }
}

/**
 * CTIDs whose create from template `name` is running now (call it under the template's
 * lock); markers of creates whose process is gone are removed.
 */
export async function creatingFrom(host: Host, dir: string, name: string): Promise<number[]> {
  if (!(await host.fs.exists(dir))) return [];
  const out: number[] = [];
  for (const entry of await host.fs.readdir(dir)) {
    const m = CREATING.exec(entry);
    if (!m || m[1] !== name) continue;
    const path = join(dir, entry);
    const [pid, start] = (await host.fs.readFile(path).catch(() => '')).split('\n');
    if (Number(pid) > 0 && (await host.processes.alive(Number(pid), start ? Number(start) : undefined))) out.push(Number(m[2]));
    else await removeQuietly(host, path);
  }
  return out.sort((a, b) => a - b);
}

async function removeQuietly(host: Host, path: string): Promise<void> {
  await host.fs.remove(path).catch((e: unknown) => {
    // Another cleaner was first.
    if (!(isVzError(e) && e.errno === 'ENOENT') && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  });
}
