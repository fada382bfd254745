/**
 * A name (camera id, class, line) as one topic level and as part of a Home Assistant object id,
 * which must match [a-zA-Z0-9_-]+: anything else becomes `_` ("traffic light" → "traffic_light").
 */
export function topicLevel(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9_-]+/g, '_') || '_';
}

/** Every topic the integration uses, from `<topic_prefix>/<client_id>` and the Home Assistant prefix. */
export class MqttTopics {
  /** `<topic_prefix>/<client_id>`. */
  readonly base: string;
  /** `online` (retained) while connected; `offline` as the will and on a clean stop. */
  readonly available: string;
  /** Tracking events as JSON, QoS 1. */
  readonly events: string;
  /** What detect/set commands arrive on, for every camera. */
  readonly detectCommands: string;
  /** Home Assistant's birth (`online`) and will (`offline`). */
  readonly homeAssistantStatus: string;
  /** Discovery configs this client announced (any component): read back to remove stale ones. */
  readonly ownDiscoveryConfigs: string;

  constructor(
    topicPrefix: string,
    readonly clientId: string,
    readonly discoveryPrefix: string,
  ) {
    this.base = `${topicPrefix}/${clientId}`;
    this.available = `${this.base}/available`;
    this.events = `${this.base}/events`;
    this.detectCommands = `${this.base}/+/detect/set`;
    this.homeAssistantStatus = `${discoveryPrefix}/status`;
    this.ownDiscoveryConfigs = `${discoveryPrefix}/+/${clientId}/+/config`;
  }

  /** Every topic of one camera starts with this. */
  camera(camera: string): string {
    return `${this.base}/${topicLevel(camera)}/`;
  }

  status(camera: string): string {
    return `${this.camera(camera)}status`;
  }

  objectCount(camera: string, className: string): string {
    return `${this.camera(camera)}${topicLevel(className)}`;
  }

  snapshot(camera: string): string {
    return `${this.camera(camera)}snapshot`;
  }

  lineCount(camera: string, line: string, direction: 'in' | 'out'): string {
    return `${this.camera(camera)}${topicLevel(line)}/${direction}`;
  }

  detectSet(camera: string): string {
    return `${this.camera(camera)}detect/set`;
  }

  detectState(camera: string): string {
    return `${this.camera(camera)}detect/state`;
  }

  /** The camera level of a `<base>/<camera>/detect/set` topic, or undefined for any other topic. */
  detectSetCamera(topic: string): string | undefined {
    if (!topic.startsWith(`${this.base}/`) || !topic.endsWith('/detect/set')) return undefined;
    const level = topic.slice(this.base.length + 1, -'/detect/set'.length);
    return level && !level.includes('/') ? level : undefined;
  }

  /** `<discovery prefix>/<component>/<client_id>/<object id>/config`. */
  discoveryConfig(component: string, objectId: string): string {
    return `${this.discoveryPrefix}/${component}/${this.clientId}/${objectId}/config`;
  }

  /** Whether a topic is one of this client's discovery configs. */
  isOwnDiscoveryConfig(topic: string): boolean {
    const parts = topic.split('/');
    const prefixLevels = this.discoveryPrefix.split('/').length;
    return topic.startsWith(`${this.discoveryPrefix}/`) && parts.length === prefixLevels + 4 && parts[prefixLevels + 1] === this.clientId && parts.at(-1) === 'config';
  }
}
