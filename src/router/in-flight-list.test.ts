import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InFlightList } from './in-flight-list.ts';

class Item {
  inFlightPrev: Item | null = null;
  inFlightNext: Item | null = null;
  constructor(readonly name: string) {}
}

const names = (list: InFlightList<Item>) => [...list].map((i) => i.name);

describe('InFlightList', () => {
  test('keeps items oldest first and removes any of them, head, middle or tail', () => {
    const list = new InFlightList<Item>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new Item(n)) as [Item, Item, Item, Item];
    for (const item of [a, b, c, d]) list.add(item);
    assert.deepEqual(names(list), ['a', 'b', 'c', 'd']);
    assert.equal(list.oldest, a);
    list.delete(b);
    assert.deepEqual(names(list), ['a', 'c', 'd']);
    list.delete(a);
    assert.equal(list.oldest, c);
    list.delete(d);
    assert.deepEqual(names(list), ['c']);
    list.add(a);
    assert.deepEqual(names(list), ['c', 'a']);
    assert.equal(list.size, 2);
    list.delete(c);
    list.delete(a);
    assert.equal(list.oldest, null);
    assert.equal(list.size, 0);
    assert.deepEqual(names(list), []);
  });

  test('deleting an item twice, or one that was never added, changes nothing', () => {
    const list = new InFlightList<Item>();
    const a = new Item('a');
    const b = new Item('b');
    list.add(a);
    list.delete(b);
    list.delete(a);
    list.delete(a);
    assert.equal(list.size, 0);
    list.add(b);
    assert.deepEqual(names(list), ['b']);
  });

  test('a removed item lets go of its neighbours, and removing items while iterating visits the rest', () => {
    const list = new InFlightList<Item>();
    const items = ['a', 'b', 'c', 'd', 'e'].map((n) => new Item(n));
    for (const item of items) list.add(item);
    const seen: string[] = [];
    for (const item of list) {
      seen.push(item.name);
      list.delete(item);
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(list.size, 0);
    for (const item of items) assert.deepEqual([item.inFlightPrev, item.inFlightNext], [null, null]);
  });
});
