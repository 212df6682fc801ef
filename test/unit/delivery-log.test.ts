import { describe, expect, it } from 'vitest';
import { DeliveryLog } from '../../controller/src/jobs/delivery-log.ts';

describe('delivery log', () => {
  it('knows a repeated id, and forgets the oldest beyond its capacity', () => {
    const log = new DeliveryLog(3);
    const seen = (ids: string) => [...ids].map((id) => log.record(id));
    expect(seen('abca')).toEqual([true, true, true, false]);
    // d pushes a out, then a (new again) pushes b out, and so on, oldest first.
    expect(seen('dabe')).toEqual([true, true, true, true]);
    expect(seen('abe')).toEqual([false, false, false]);
    expect(seen('cad')).toEqual([true, true, true]);
  });
});
