/**
 * The typed event bus. Hooks are for doing, events for observing: embedders and
 * plugins subscribe to lifecycle events without taking part in the operation. The
 * core declares the lifecycle's events; a plugin adds its own by extending `VzEvents`
 * (`declare module '@vzkit/core' { interface VzEvents { 'ubc:failcnt': [...] } }`),
 * named `<plugin>:<what>`.
 */
import { EventEmitter } from 'eventemitter3';

export interface VzEvents {
  /** The config and values passed every check: create begins making things. */
  've:creating': [ctid: number];
  've:created': [ctid: number];
  've:starting': [ctid: number];
  've:started': [ctid: number, pid: number];
  've:stopping': [ctid: number];
  've:stopped': [ctid: number];
  've:destroyed': [ctid: number];
  've:mounted': [ctid: number];
  've:unmounted': [ctid: number];
  've:updated': [ctid: number, keys: string[]];
  warning: [ctid: number | undefined, message: string];
}

export class EventBus extends EventEmitter<VzEvents> {}
