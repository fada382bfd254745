import { Type as t, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Probability = (defaultValue: number, description: string) => t.Number({ minimum: 0, maximum: 1, default: defaultValue, description });

export const TrackerSettingsSchema = t.Object(
  {
    highThreshold: Probability(0.5, 'Boxes at or above this confidence are matched first, to every track (ByteTrack track_thresh).'),
    lowThreshold: Probability(0.1, 'Boxes from this confidence up to highThreshold only keep tracks alive that the high boxes left unmatched (ByteTrack’s second association); lower boxes are ignored. The detector must report boxes this low for it to matter.'),
    newTrackThreshold: Probability(0.6, 'A box left unmatched starts a track only at or above this confidence (ByteTrack det_thresh = track_thresh + 0.1).'),
    matchScore: Probability(0.2, 'First association: a high box continues a track when IoU × confidence with the track’s predicted box is at least this (ByteTrack match_thresh 0.8 on the cost 1 − IoU × confidence).'),
    lowMatchIou: Probability(0.5, 'Second association: a low box continues a track when its IoU with the predicted box is at least this (ByteTrack’s fixed 0.5).'),
    bufferPerSecond: t.Number({ minimum: 0, maximum: 10, default: 1, description: 'Before IoU is taken, a track’s predicted box and each box it may match are widened on every side by this fraction of their size per second since the track was last matched (at most by half: C-BIoU’s buffered IoU, scaled by time). At 15 detections/s boxes grow 7 %; at 3/s, 33 %, which is what lets a walking person’s boxes still overlap from one detection to the next. 0: plain IoU, as ByteTrack.' }),
    framesToConfirm: t.Integer({ minimum: 1, maximum: 30, default: 3, description: 'A new track gets its id once matched in this many consecutive detection frames; a tentative track that misses one is dropped. ByteTrack confirms on the 2nd.' }),
    maxAgeMs: t.Number({ minimum: 0, maximum: 600_000, default: 1500, description: 'A confirmed track unmatched for longer than this (ms of frame time) ends; until then it can be found again with the same id (ByteTrack track_buffer, 30 frames at 30 fps = 1 s).' }),
  },
  { additionalProperties: false },
);
export type TrackerSettings = Static<typeof TrackerSettingsSchema>;

// Two numbers as an array of exactly two, not a TypeBox Tuple: a Tuple's `items: [a, b]` is no
// longer JSON Schema in draft 2020-12 (OpenAPI 3.1 documents), which spells tuples prefixItems.
const PixelPoint = t.Unsafe<[x: number, y: number]>(t.Array(t.Number(), { minItems: 2, maxItems: 2, description: '[x, y] in the camera’s pixels (y down).' }));
const ClassFilter = t.Array(t.String({ minLength: 1 }), { default: [], description: 'Class names counted here (e.g. ["person"]); empty or absent: every class.' });
const Name = t.String({ minLength: 1, maxLength: 64, description: 'Unique among the camera’s lines (or zones); names the counts and events.' });

/** One counting line, in the camera's pixels. `in` is a move from its positive to its negative side (see the README). */
export const LineSchema = t.Object(
  {
    name: Name,
    from: PixelPoint,
    to: PixelPoint,
    classes: t.Optional(ClassFilter),
  },
  { additionalProperties: false, description: 'A counting line from `from` to `to`: feet crossing it from the right-hand side of someone walking from→to on the picture to their left-hand side count `in`, the other way `out` (from [400, 0] to [400, 576]: left to right is `in`).' },
);
export type LineConfig = Static<typeof LineSchema>;

/** One zone: a polygon in the camera's pixels. */
export const ZoneSchema = t.Object(
  {
    name: Name,
    points: t.Array(PixelPoint, { minItems: 3, description: 'The polygon’s corners in order, [[x, y], …].' }),
    classes: t.Optional(ClassFilter),
  },
  { additionalProperties: false, description: 'A zone: objects whose feet stay inside it are in it (occupancy, enter and leave events).' },
);
export type ZoneConfig = Static<typeof ZoneSchema>;

export const CounterSettingsSchema = t.Object(
  {
    lineMarginPx: t.Number({ minimum: 0, maximum: 1000, default: 8, description: 'Feet within this many pixels of a line are on it, on neither side: jitter there never counts.' }),
    lineFrames: t.Integer({ minimum: 1, maximum: 30, default: 2, description: 'Consecutive observations clearly (beyond the margin) on the new side before a crossing counts.' }),
    zoneEnterMs: t.Number({ minimum: 0, maximum: 600_000, default: 500, description: 'An object counts as entered once its feet have been inside the zone in every observation for this long.' }),
    zoneLeaveMs: t.Number({ minimum: 0, maximum: 600_000, default: 500, description: 'An object counts as left once its feet have been outside in every observation for this long (or when its track ends).' }),
  },
  { additionalProperties: false },
);
export type CounterSettings = Static<typeof CounterSettingsSchema>;

/** Counts by class name, e.g. { "person": 3 }. */
const ByClass = t.Record(t.String(), t.Integer({ minimum: 0 }));

/** What `Counter.snapshot()` returns and `Counter.restore()` takes: plain JSON, for a file per day. */
export const CountsSnapshotSchema = t.Object({
  lines: t.Record(t.String(), t.Object({ in: ByClass, out: ByClass })),
  zones: t.Record(t.String(), t.Object({ entered: ByClass })),
});
export type CountsSnapshot = Static<typeof CountsSnapshotSchema>;

/**
 * Defaults filled in, then checked; throws naming the key, the value and what was expected,
 * e.g. `tracker settings: /highThreshold: Expected number to be less or equal to 1 (got 1.5)`.
 */
export function parseWithDefaults<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const withDefaults = Value.Default(schema, Value.Clone(value ?? {}));
  const error = Value.Errors(schema, withDefaults).First();
  if (error) throw new TypeError(`${what}: ${error.path || '(top level)'}: ${error.message} (got ${JSON.stringify(error.value)})`);
  return withDefaults as Static<T>;
}
