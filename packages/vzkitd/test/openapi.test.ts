/**
 * The OpenAPI document comes from the declarations that make vzctl's flags: a key a
 * plugin declares shows, once, in the create and set bodies with its name, type argument,
 * when it applies and its plugin; a plugin added to the composition brings its keys.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, defineKey, definePlugin, resolvePaths, type Runtime } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { defaultPlugins } from '@vzkit/cli';
import { ROUTES, openApiDocument } from '../src/index.js';

const FOO = defineKey<string>({
  name: 'FOO_LEVEL', description: 'how much foo', live: true, flag: 'foo_level',
  type: { arg: 'N', parse: (s) => s, format: (v) => v },
});
const fooPlugin = definePlugin({ name: '@example/foo', configKeys: [FOO], hooks: {} });

function runtime(extra = [] as ReturnType<typeof definePlugin>[]): Runtime {
  return createRuntime({ host: new FakeHost(), plugins: [...defaultPlugins({}), ...extra], paths: resolvePaths('/nonexistent') });
}

type Json = any;
const bodyOf = (doc: Json, path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema;

describe('GET /v1/openapi.json', () => {
  const doc: Json = openApiDocument(runtime(), ROUTES, '0.1.0');

  it('lists every route with its method', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const r of ROUTES) expect(doc.paths[r.path][r.method.toLowerCase()].summary).toBe(r.summary);
  });

  it('takes create\'s and set\'s flags from the key declarations, with the key, its type argument, when it applies and its plugin', () => {
    const create = bodyOf(doc, '/v1/ves', 'post');
    expect(create.required).toEqual(['ctid']);
    expect(create.properties.hostname).toMatchObject({ 'x-vzkit-key': 'HOSTNAME', 'x-vzkit-plugin': '@vzkit/ns-uts' });
    expect(create.properties.ostemplate).toBeDefined();
    const set = bodyOf(doc, '/v1/ves/{id}', 'patch');
    expect(set.properties.numproc).toMatchObject({ 'x-vzkit-key': 'NUMPROC', 'x-vzkit-plugin': '@vzkit/ubc', 'x-vzkit-live': 'live' });
    expect(set.properties.numproc.description).toContain('(B[:L])');
    expect(set.properties.save).toEqual({ type: 'boolean', description: expect.any(String) });
    expect(set.properties.reset_ub.type).toBe('boolean');
    // An edit flag repeats: a value or an array of them.
    expect(set.properties.ipadd.anyOf[1]).toMatchObject({ type: 'array' });
    expect(set.properties.ipadd['x-vzkit-key']).toBe('IP_ADDRESS');
    expect(set.additionalProperties).toBe(false);
  });

  it('gives the verbs\' own flags to start and stop, and the vzlist fields to a VE row', () => {
    expect(bodyOf(doc, '/v1/ves/{id}/stop', 'post').properties).toHaveProperty('fast');
    expect(bodyOf(doc, '/v1/ves/{id}/start', 'post').properties).toHaveProperty('force');
    const row = doc.components.schemas.VeList.items.properties;
    expect(Object.keys(row)).toEqual(expect.arrayContaining(['ctid', 'hostname', 'numproc', 'status']));
    expect(doc.paths['/v1/ves/{id}/start'].post.responses['202'].content['application/json'].schema.$ref).toBe('#/components/schemas/Task');
  });

  it('a plugin added to the composition brings its keys to the bodies, declared once', () => {
    const more: Json = openApiDocument(runtime([fooPlugin]), ROUTES, '0.1.0');
    for (const [path, method] of [['/v1/ves', 'post'], ['/v1/ves/{id}', 'patch']] as const) {
      expect(bodyOf(more, path, method).properties.foo_level).toMatchObject({ 'x-vzkit-key': 'FOO_LEVEL', 'x-vzkit-plugin': '@example/foo' });
      expect(bodyOf(doc, path, method).properties.foo_level).toBeUndefined();
    }
  });
});
