import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OffsetTracker, PartitionOffsets } from '../../src/offset-tracker.js';

test('only the contiguous prefix of finished records is committable', () => {
  const p = new PartitionOffsets('t', 0);
  for (const o of [5, 6, 7, 8]) p.track(o);
  assert.equal(p.committable(), undefined);
  p.complete(6);
  p.complete(8);
  assert.equal(p.committable(), undefined, 'offset 5 is unfinished');
  p.complete(5);
  assert.equal(p.committable(), 7, 'commit is one past the last finished record of the prefix');
  p.markCommitted(7);
  assert.equal(p.committable(), undefined);
  p.complete(7);
  assert.equal(p.committable(), 9);
  assert.equal(p.pending, 0);
});

test('gaps in offsets (compaction, transaction markers) do not block the commit', () => {
  const p = new PartitionOffsets('t', 1);
  p.track(10);
  p.track(13);
  p.complete(13);
  p.complete(10);
  assert.equal(p.committable(), 14);
});

test('tracking an offset twice or out of order is refused', () => {
  const p = new PartitionOffsets('t', 0);
  p.track(3);
  assert.throws(() => p.track(3), /tracked after 3/);
  assert.throws(() => p.track(2), /tracked after 3/);
  p.complete(3);
  assert.throws(() => p.track(3), /tracked after 3/);
  assert.equal(p.lastTracked, 3);
});

test('a revoked partition never becomes committable, and a new generation starts empty', () => {
  const tracker = new OffsetTracker();
  const old = tracker.partition('t', 0);
  old.track(0);
  old.track(1);
  tracker.revokeAll();
  old.complete(0);
  old.complete(1);
  assert.equal(old.committable(), undefined);
  assert.deepEqual(tracker.committable(), []);
  const fresh = tracker.partition('t', 0);
  assert.notEqual(fresh, old);
  fresh.track(0);
  fresh.complete(0);
  assert.deepEqual(tracker.committable().map((c) => [c.state.partition, c.offset]), [[0, 1]]);
});

test('property: the committable offset never passes an unfinished record', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.nat(500), { minLength: 1, maxLength: 80 }),
      fc.array(fc.nat(), { maxLength: 200 }),
      (raw, picks) => {
        const offsets = [...raw].sort((a, b) => a - b);
        const p = new PartitionOffsets('t', 0);
        for (const o of offsets) p.track(o);
        const done = new Set<number>();
        for (const pick of picks) {
          const o = offsets[pick % offsets.length] as number;
          p.complete(o);
          done.add(o);
          const c = p.committable();
          if (c !== undefined) {
            for (const o2 of offsets) if (o2 < c) assert.ok(done.has(o2), `committable ${c} passes unfinished ${o2}`);
            p.markCommitted(c);
          }
        }
        if (done.size === offsets.length) {
          const final = p.committable() ?? p.committed;
          assert.equal(final, (offsets[offsets.length - 1] as number) + 1);
        }
      },
    ),
  );
});
