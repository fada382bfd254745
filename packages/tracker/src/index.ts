export { Tracker } from './tracker.ts';
export type { BestMoment, TrackedDetection, TrackerFrame, TrackEvent, TrackObservation, TrackSummary } from './tracker.ts';
export { Counter, CountingAreasSchema } from './counter.ts';
export type { CountEvent, CountingAreas, CrossingEvent, Direction, ZoneEvent } from './counter.ts';
export { CounterSettingsSchema, CountsSnapshotSchema, LineSchema, TrackerSettingsSchema, ZoneSchema } from './schemas.ts';
export type { CounterSettings, CountsSnapshot, LineConfig, TrackerSettings, ZoneConfig } from './schemas.ts';
export { bottomCentre, insidePolygon, signedDistance } from './geometry.ts';
export type { Box, Point } from './geometry.ts';
export { localDayKey } from './day.ts';
