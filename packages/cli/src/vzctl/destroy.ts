/** `vzctl destroy CTID` (alias `delete`): remove the private area, root and config; refused while running. */
import { VE_PRIVATE, substituteCtid } from '@vzkit/core';
import { parseVerbArgs, type Verb } from './verb.js';

export interface DestroyRequest {
  ctid: number;
}

export const destroyVerb: Verb = {
  name: 'destroy',
  aliases: ['delete'],
  usage: 'CTID',
  summary: "Remove the container's private area, root directory and config",
  flags: () => [],
  async run(argv, { rt, out }) {
    const { ctid }: DestroyRequest = await parseVerbArgs(this, argv, rt);
    const priv = (await rt.config(ctid)).get(VE_PRIVATE);
    // A running VE is refused by the runtime; say nothing about destroying it first.
    if (!(await rt.status(ctid)).running && priv !== undefined) {
      out.info(`Destroying container private area: ${substituteCtid(priv, ctid)}`);
    }
    await rt.destroy(ctid);
    out.info('Container private area was destroyed');
    return 0;
  },
};
