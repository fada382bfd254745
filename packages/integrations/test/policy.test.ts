import { describe, expect, it } from 'vitest';
import { EventPolicy, inQuietHours, parseQuietHours } from '../src/index.ts';

const at = (hhmm: string) => new Date(`2026-11-25T${hhmm}:00`);

describe('which detections make a message', () => {
  it('keeps configured classes above the confidence floor, counted per class with the best confidence', () => {
    const policy = new EventPolicy({ classes: ['person', 'car'], minConfidence: 0.5, cooldownS: 0 });
    const hits = policy.hits({ at: Date.now(), camera: 'gate', detections: [
      { className: 'person', confidence: 0.6 }, { className: 'person', confidence: 0.8 }, { className: 'person', confidence: 0.2 },
      { className: 'dog', confidence: 0.99 }, { className: 'car', confidence: 0.51 },
    ] });
    expect(hits).toEqual([{ className: 'person', count: 2, confidence: 0.8 }, { className: 'car', count: 1, confidence: 0.51 }]);
  });

  it('fires a class again only after its cooldown, separately per camera and class', () => {
    const policy = new EventPolicy({ classes: [], minConfidence: 0, cooldownS: 60 });
    const seen = (camera: string, className: string, t: number) => policy.hits({ at: t, camera, detections: [{ className, confidence: 1 }] }).length;
    expect(seen('gate', 'person', 0)).toBe(1);
    expect(seen('gate', 'person', 30_000)).toBe(0);
    expect(seen('gate', 'car', 30_000)).toBe(1);
    expect(seen('yard', 'person', 30_000)).toBe(1);
    expect(seen('gate', 'person', 60_000)).toBe(1);
  });

  it('stays silent in quiet hours, including windows that wrap midnight', () => {
    const night = parseQuietHours('22:00-06:00');
    expect([at('21:59'), at('22:00'), at('03:00'), at('05:59'), at('06:00')].map((d) => inQuietHours(d, night))).toEqual([false, true, true, true, false]);
    const lunch = parseQuietHours('12:00-13:30');
    expect([at('11:59'), at('12:30'), at('13:30')].map((d) => inQuietHours(d, lunch))).toEqual([false, true, false]);
    const policy = new EventPolicy({ classes: [], minConfidence: 0, cooldownS: 0, quietHours: '22:00-06:00' });
    expect(policy.hits({ at: at('23:00'), camera: 'c', detections: [{ className: 'person', confidence: 1 }] })).toEqual([]);
    expect(() => parseQuietHours('10pm-6am')).toThrow(/expected HH:MM-HH:MM/);
    expect(() => parseQuietHours('25:00-06:00')).toThrow(/expected HH:MM-HH:MM/);
  });
});
