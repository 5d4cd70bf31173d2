import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeXmlEntities, DEFAULT_TAGS } from '@pra-pipeline/shared';

test('decodeXmlEntities decodes the five entities and numeric references, and leaves anything else literal', () => {
  assert.equal(decodeXmlEntities('a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;'), 'a <b> & "c" \'d\'');
  assert.equal(decodeXmlEntities('&#65;&#x42;&#x1F600;'), 'AB\u{1F600}');
  assert.equal(decodeXmlEntities('&nbsp; &#0; &#x110000; &amp'), '&nbsp; &#0; &#x110000; &amp');
  assert.equal(decodeXmlEntities('&amp;lt;'), '&lt;');
});

test('DEFAULT_TAGS is frozen', () => {
  assert.deepEqual(DEFAULT_TAGS, ['forwarded', 'beyondtrust_pra-access_session']);
  assert.ok(Object.isFrozen(DEFAULT_TAGS));
});
