/**
 * Messages placed by the runtime's events, as OpenVZ prints them: "Starting container..."
 * appears once every check has passed and the start really begins, never before a
 * refusal such as "already running".
 */
import type { Runtime, VzEvents } from '@vzkit/core';

/** Events of one VE (their first argument is its CTID) and what to do on each. */
export type Announcements = Partial<Record<keyof VzEvents, () => void>>;

/** Runs `body` with `on` listening to the runtime's events for `ctid`. */
export async function announced<T>(rt: Runtime, ctid: number, on: Announcements, body: () => Promise<T>): Promise<T> {
  const listeners = Object.entries(on).map(([event, fn]) => {
    const listener = (id: unknown) => {
      if (id === ctid) fn();
    };
    rt.events.on(event as keyof VzEvents, listener as never);
    return () => rt.events.off(event as keyof VzEvents, listener as never);
  });
  try {
    return await body();
  } finally {
    for (const off of listeners) off();
  }
}
