import { describe, expect, it } from 'vitest';
import { hostnameProblem, MAX_HOSTNAME_LENGTH } from '../src/index.js';

describe('hostnameProblem', () => {
  it.each([
    'ct101',
    'ct101.example.com',
    '101',
    'a',
    'xn--bcher-kva.example',
    'A-b-C.D9',
    `${'a'.repeat(63)}`,
    `${'a'.repeat(31)}.${'b'.repeat(32)}`,
  ])('accepts %s', (name) => {
    expect(hostnameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['-ct', /starts or ends with '-'/],
    ['ct-', /starts or ends with '-'/],
    ['ct_101', /letters, digits and '-'/],
    ['ct 101', /letters, digits and '-'/],
    ['ct"101', /letters, digits and '-'/],
    ['ct\n101', /letters, digits and '-'/],
    ['bücher', /letters, digits and '-'/],
    ['.ct', /empty label/],
    ['ct.', /empty label/],
    ['ct..example', /empty label/],
    ['a'.repeat(64), /longer than 63/],
    [`${'a'.repeat(32)}.${'b'.repeat(32)}`, new RegExp(`longer than ${MAX_HOSTNAME_LENGTH} characters`)],
  ])('refuses %j', (name, why) => {
    expect(hostnameProblem(name)).toMatch(why);
  });
});
