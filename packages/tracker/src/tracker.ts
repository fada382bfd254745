import type { Detection } from '@cctv/frame-buffer';
import { maxWeightMatching } from './assignment.ts';
import { boxArea, iou, type Box } from './geometry.ts';
import { BoxKalman } from './kalman.ts';
import { parseWithDefaults, TrackerSettingsSchema, type TrackerSettings } from './schemas.ts';

/** A detection with the id of the confirmed track it belongs to; null while it has none (tentative track, or too weak to track). */
export type TrackedDetection = Detection & { trackId: number | null };

/** The moment a track looked best: its box's area × confidence was the largest so far. */
export interface BestMoment {
  /** Frame time (ms) of that frame: keep its JPEG as the track's snapshot. */
  at: number;
  box: Box;
  confidence: number;
}

/** A track's story so far, as its `new` and `end` events carry it. */
export interface TrackSummary {
  trackId: number;
  classId: number;
  className: string;
  /** Frame time the object was first detected (before it was confirmed). */
  firstSeenAt: number;
  /** Frame time of its last matched detection. */
  lastSeenAt: number;
  /** Detection frames it was matched in. */
  frames: number;
  bestConfidence: number;
  best: BestMoment;
}

export type TrackEvent = { type: 'new'; track: TrackSummary } | { type: 'end'; track: TrackSummary };

/** A confirmed track matched to a detection in this frame. */
export interface TrackObservation {
  trackId: number;
  classId: number;
  className: string;
  /** The detection's box (what is drawn), not the filter's estimate. */
  box: Box;
  confidence: number;
  /** This frame is now the track's best moment (see `BestMoment`). */
  isBest: boolean;
}

export interface TrackerFrame {
  /** The frame time given to update(). */
  at: number;
  /** One per input detection, in input order. */
  detections: TrackedDetection[];
  /** Confirmed tracks seen in this frame (what lines and zones are decided on). */
  observations: TrackObservation[];
  /** Tracks confirmed (`new`) and ended (`end`) in this update, `end`s first. */
  events: TrackEvent[];
}

type TrackState = 'tentative' | 'tracked' | 'lost';

interface Track {
  /** 0 until confirmed. */
  id: number;
  state: TrackState;
  classId: number;
  className: string;
  filter: BoxKalman;
  /** Frame time the filter's state is at. */
  filterAt: number;
  firstSeenAt: number;
  lastSeenAt: number;
  frames: number;
  /** Consecutive matched frames (counts up to confirmation). */
  streak: number;
  bestConfidence: number;
  best: BestMoment;
  bestScore: number;
}

/** ByteTrack's threshold for matching tentative tracks (cost 0.7 on 1 − IoU × confidence). */
const TENTATIVE_MATCH_SCORE = 0.3;
/** C-BIoU's larger buffer: boxes widened by half their size on each side at most. */
const MAX_BUFFER = 0.5;

/**
 * Multi-object tracker: ByteTrack's association over a time-stepped Kalman filter.
 *
 * Each update: tracks are predicted to the frame's time; high-confidence boxes are matched to every
 * confirmed track (tracked or lost) on IoU × confidence, exactly (Hungarian); low-confidence boxes
 * then to the tracked ones still unmatched, on IoU (ByteTrack's point: an occluded, blurred person
 * scores low but keeps the track); tentative tracks to the high boxes left; confident boxes left
 * over start tentative tracks, which get an id after `framesToConfirm` frames in a row.
 *
 * Matching is per class: a track keeps the class it was born with and only takes boxes of that
 * class. A rider and their bicycle, a driver and the car, a person and the bag they carry overlap
 * heavily; matched across classes, their tracks trade boxes whenever one box is missed. The price
 * is that a detector flickering between two classes (car/truck) splits a track in two.
 */
export class Tracker {
  readonly settings: Readonly<TrackerSettings>;
  private tracks: Track[] = [];
  private nextId = 1;
  private lastAt = -Infinity;

  /** @throws TypeError naming the setting when one is out of range or unknown. */
  constructor(settings: Partial<TrackerSettings> = {}) {
    const parsed = parseWithDefaults(TrackerSettingsSchema, settings, 'tracker settings');
    if (parsed.lowThreshold > parsed.highThreshold) throw new TypeError(`tracker settings: lowThreshold ${parsed.lowThreshold} is above highThreshold ${parsed.highThreshold}`);
    if (parsed.newTrackThreshold < parsed.highThreshold) throw new TypeError(`tracker settings: newTrackThreshold ${parsed.newTrackThreshold} is below highThreshold ${parsed.highThreshold} (boxes below highThreshold never start tracks)`);
    this.settings = Object.freeze(parsed);
  }

  /**
   * Takes one detection frame. `at` is its time in ms (capture time); frames may come at any
   * interval, and the motion model steps by the time elapsed. A time earlier than the last one is
   * taken as the last one.
   * @throws TypeError when `at` is not a finite number.
   */
  update(detections: readonly Detection[], at: number): TrackerFrame {
    if (!Number.isFinite(at)) throw new TypeError(`tracker: frame time must be a finite number of ms (got ${at})`);
    at = Math.max(at, this.lastAt);
    this.lastAt = at;
    const { highThreshold, lowThreshold, newTrackThreshold, matchScore, lowMatchIou, framesToConfirm, maxAgeMs } = this.settings;
    const events: TrackEvent[] = [];
    const trackOf: Array<Track | undefined> = new Array(detections.length);
    const matched = new Set<Track>();
    const improved = new Set<Track>();
    const take = (track: Track, i: number) => {
      if (this.match(track, detections[i]!, at)) improved.add(track);
      matched.add(track);
      trackOf[i] = track;
    };

    this.tracks = this.tracks.filter((track) => {
      if (track.state === 'tentative' || at - track.lastSeenAt <= maxAgeMs) return true;
      events.push({ type: 'end', track: summary(track) });
      return false;
    });
    for (const track of this.tracks) {
      track.filter.predict(at - track.filterAt, track.state === 'lost');
      track.filterAt = at;
    }

    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((d, i) => {
      if (d.confidence >= highThreshold) high.push(i);
      else if (d.confidence >= lowThreshold) low.push(i);
    });
    const confirmed = this.tracks.filter((t) => t.state !== 'tentative');
    const tentative = this.tracks.filter((t) => t.state === 'tentative');

    // 1. High boxes to every confirmed track, tracked or lost.
    const [firstMatched, highLeft] = this.associate(confirmed, high, detections, at, (o, d) => o * d.confidence - matchScore);
    for (const [track, i] of firstMatched) take(track, i);
    // 2. Low boxes to the tracked tracks still unmatched (not the lost ones: a low box is not
    // enough evidence to bring one back).
    const unmatchedTracked = confirmed.filter((t) => t.state === 'tracked' && !matched.has(t));
    const [secondMatched] = this.associate(unmatchedTracked, low, detections, at, (o) => o - lowMatchIou);
    for (const [track, i] of secondMatched) take(track, i);
    for (const track of confirmed) if (!matched.has(track)) track.state = 'lost';
    // 3. Tentative tracks to the high boxes left; a tentative track that misses is dropped.
    const [tentativeMatched, newCandidates] = this.associate(tentative, highLeft, detections, at, (o, d) => o * d.confidence - TENTATIVE_MATCH_SCORE);
    for (const [track, i] of tentativeMatched) take(track, i);
    const dropped = new Set(tentative.filter((t) => !matched.has(t)));
    // 4. Confident boxes left start tentative tracks.
    for (const i of newCandidates) {
      if (detections[i]!.confidence < newTrackThreshold) continue;
      const track = tentativeTrack(detections[i]!, at);
      this.tracks.push(track);
      improved.add(track);
      trackOf[i] = track;
    }
    for (const track of this.tracks) {
      if (track.state !== 'tentative' || track.streak < framesToConfirm) continue;
      track.state = 'tracked';
      track.id = this.nextId++;
      events.push({ type: 'new', track: summary(track) });
    }
    this.tracks = this.tracks.filter((t) => !dropped.has(t));

    const observations: TrackObservation[] = [];
    const tracked = detections.map((d, i): TrackedDetection => ({ ...d, trackId: trackOf[i]?.id || null }));
    trackOf.forEach((track, i) => {
      if (!track?.id) return;
      const d = detections[i]!;
      observations.push({ trackId: track.id, classId: track.classId, className: track.className, box: d.box, confidence: d.confidence, isBest: improved.has(track) });
    });
    return { at, detections: tracked, observations, events };
  }

  /**
   * Ends every track now (the camera stopped, detection was turned off): `end` events for the
   * confirmed ones; ids keep counting up.
   */
  flush(): TrackEvent[] {
    const events = this.tracks.filter((t) => t.id).map((t): TrackEvent => ({ type: 'end', track: summary(t) }));
    this.tracks = [];
    return events;
  }

  /**
   * Matches tracks to candidate boxes on the buffered IoU of the predicted box and the box: both
   * widened by the track's buffer, which grows with the time since it was last matched.
   */
  private associate(tracks: readonly Track[], candidates: readonly number[], detections: readonly Detection[], at: number, weightOf: (overlap: number, d: Detection) => number): [Array<[Track, number]>, number[]] {
    if (!tracks.length || !candidates.length) return [[], [...candidates]];
    const buffers = tracks.map((t) => Math.min(MAX_BUFFER, (this.settings.bufferPerSecond * (at - t.lastSeenAt)) / 1000));
    const predicted = tracks.map((t, r) => widen(t.filter.box(), buffers[r]!));
    const weights = new Float64Array(tracks.length * candidates.length);
    for (let r = 0; r < tracks.length; r++) {
      for (let c = 0; c < candidates.length; c++) {
        const d = detections[candidates[c]!]!;
        if (d.classId !== tracks[r]!.classId) continue;
        const overlap = iou(predicted[r]!, widen(d.box, buffers[r]!));
        if (overlap > 0) weights[r * candidates.length + c] = weightOf(overlap, d);
      }
    }
    const pairs = maxWeightMatching(weights, tracks.length, candidates.length);
    const used = new Set(pairs.map(([, c]) => c));
    return [pairs.map(([r, c]) => [tracks[r]!, candidates[c]!]), candidates.filter((_, c) => !used.has(c))];
  }

  /** Updates the track with its box; true when this is its best moment yet. */
  private match(track: Track, d: Detection, at: number): boolean {
    track.filter.update(d.box);
    track.streak++;
    if (track.state === 'lost') track.state = 'tracked';
    track.lastSeenAt = at;
    track.frames++;
    track.bestConfidence = Math.max(track.bestConfidence, d.confidence);
    const score = boxArea(d.box) * d.confidence;
    if (score <= track.bestScore) return false;
    track.bestScore = score;
    track.best = { at, box: { ...d.box }, confidence: d.confidence };
    return true;
  }
}

function tentativeTrack(d: Detection, at: number): Track {
  return {
    id: 0,
    state: 'tentative',
    classId: d.classId,
    className: d.className,
    filter: new BoxKalman(d.box),
    filterAt: at,
    firstSeenAt: at,
    lastSeenAt: at,
    frames: 1,
    streak: 1,
    bestConfidence: d.confidence,
    best: { at, box: { ...d.box }, confidence: d.confidence },
    bestScore: boxArea(d.box) * d.confidence,
  };
}

/** The box grown by `buffer` × its width (height) on the left and right (top and bottom). */
function widen(box: Box, buffer: number): Box {
  if (buffer === 0) return box;
  const dx = (box.x2 - box.x1) * buffer;
  const dy = (box.y2 - box.y1) * buffer;
  return { x1: box.x1 - dx, y1: box.y1 - dy, x2: box.x2 + dx, y2: box.y2 + dy };
}

function summary(track: Track): TrackSummary {
  return {
    trackId: track.id,
    classId: track.classId,
    className: track.className,
    firstSeenAt: track.firstSeenAt,
    lastSeenAt: track.lastSeenAt,
    frames: track.frames,
    bestConfidence: track.bestConfidence,
    best: track.best,
  };
}
