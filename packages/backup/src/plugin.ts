/**
 * The backup plugin: the tools `vzdump` and `vzrestore` (Proxmox's names, from the days
 * it ran OpenVZ). It owns no config key and no hook: a backup is a reader of a VE held
 * still by the core (Runtime.hold), and a restore is a create whose private area is filled
 * from the archive (CreateRequest.fill), so every plugin plays its usual part in both.
 */
import { definePlugin } from '@vzkit/core';
import { vzdumpCommand } from './vzdump.js';
import { vzrestoreCommand } from './vzrestore.js';

export const BACKUP_PLUGIN = '@vzkit/backup';

export const backupPlugin = definePlugin({
  name: BACKUP_PLUGIN,
  hooks: {},
  commands: [vzdumpCommand, vzrestoreCommand],
});
