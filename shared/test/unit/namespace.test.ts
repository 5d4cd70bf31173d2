import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidNamespace, namespaceProblem, parseSiteNamespaces } from '../../src/namespace.js';

test('valid namespaces pass', () => {
  for (const ns of ['default', 'tenant_a', 'prod.eu1', 'a', 'x'.repeat(100), 'ü'.repeat(50), '0team', 'a+b', 'a_']) {
    assert.equal(namespaceProblem(ns), undefined, ns);
    assert.equal(isValidNamespace(ns), true, ns);
  }
});

test('names Elasticsearch refuses, or that address other data streams, fail with a reason', () => {
  const cases: [unknown, RegExp][] = [
    ['', /empty/],
    [42, /not a string/],
    ['.', /not a name/],
    ['..', /not a name/],
    ['-a', /starts with/],
    ['_a', /starts with/],
    ['+a', /starts with/],
    ['Tenant', /upper-case/],
    ['a b', /contains one of/],
    ['tenant-b', /separates the parts/],
    ['x'.repeat(101), /longer than 100 bytes/],
    ['ü'.repeat(51), /longer than 100 bytes/],
    ['a\u0001', /control character/],
  ];
  for (const ch of ['\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':']) cases.push([`a${ch}b`, /contains one of/]);
  for (const [ns, reason] of cases) {
    assert.match(namespaceProblem(ns) ?? 'valid', reason, JSON.stringify(ns));
    assert.equal(isValidNamespace(ns), false);
  }
});

test('a site map is site=namespace pairs, each namespace valid, each site once', () => {
  assert.deepEqual([...parseSiteNamespaces(' site-a=tenant_a, site-b=tenantb ,')], [['site-a', 'tenant_a'], ['site-b', 'tenantb']]);
  assert.throws(() => parseSiteNamespaces('site-a'), /not site=namespace/);
  assert.throws(() => parseSiteNamespaces('=x'), /not site=namespace/);
  assert.throws(() => parseSiteNamespaces('site-a=..'), /site site-a: the namespace "\.\." is not a name/);
  assert.throws(() => parseSiteNamespaces('a=x,a=y'), /more than once/);
  assert.throws(() => parseSiteNamespaces(' , '), /names no site/);
});
