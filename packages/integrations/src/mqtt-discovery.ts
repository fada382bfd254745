import { topicLevel, type MqttTopics } from './mqtt-topics.ts';

/** One camera as MQTT and Home Assistant see it. */
export interface MqttCamera {
  /** The camera's id: its topic level (`<camera>`; characters other than letters, digits, _ and - become _). */
  id: string;
  /** Its name in Home Assistant. */
  name: string;
  /** Classes counted in view: a sensor each, and 0 published for them when none is in view. */
  classes: readonly string[];
  /** Classes whose presence is an alert: an occupancy binary_sensor each ("someone is there now"). */
  alertClasses: readonly string[];
  /** Counting lines: an `in` and an `out` sensor each (total_increasing). */
  lines: readonly string[];
}

/** A discovery config: its topic and its JSON payload. */
export interface DiscoveryConfig {
  topic: string;
  payload: Record<string, unknown>;
}

/** Tells Home Assistant's log which program announced the entities. */
const ORIGIN = { name: 'cctv' };

/**
 * Home Assistant MQTT discovery for one camera, one config per entity
 * (`<prefix>/<component>/<client_id>/<camera>_<entity>/config`), all on one device:
 * the snapshot as an `image`, the camera status, a count `sensor` per class, an occupancy
 * `binary_sensor` per alert class, `in`/`out` sensors per line and a detection `switch`.
 * Every entity is unavailable while `<base>/available` says `offline`.
 */
export function discoveryConfigs(camera: MqttCamera, topics: MqttTopics): DiscoveryConfig[] {
  const cameraLevel = topicLevel(camera.id);
  const device = { identifiers: [`${topics.clientId}_${cameraLevel}`], name: camera.name, manufacturer: 'cctv', model: 'Camera' };
  const entity = (component: string, suffix: string, fields: Record<string, unknown>): DiscoveryConfig => {
    const objectId = `${cameraLevel}_${suffix}`;
    return {
      topic: topics.discoveryConfig(component, objectId),
      payload: {
        ...fields,
        unique_id: `${topics.clientId}_${objectId}`,
        availability_topic: topics.available,
        payload_available: 'online',
        payload_not_available: 'offline',
        device,
        origin: ORIGIN,
      },
    };
  };
  const configs = [
    entity('image', 'snapshot', { name: 'Snapshot', image_topic: topics.snapshot(camera.id), content_type: 'image/jpeg' }),
    entity('sensor', 'status', { name: 'Status', state_topic: topics.status(camera.id), entity_category: 'diagnostic', icon: 'mdi:cctv' }),
    entity('switch', 'detect', {
      name: 'Detection',
      command_topic: topics.detectSet(camera.id),
      state_topic: topics.detectState(camera.id),
      payload_on: 'ON',
      payload_off: 'OFF',
      icon: 'mdi:motion-sensor',
    }),
  ];
  for (const className of unique(camera.classes)) {
    configs.push(entity('sensor', `${topicLevel(className)}_count`, { name: `${className} count`, state_topic: topics.objectCount(camera.id, className), state_class: 'measurement', icon: 'mdi:counter' }));
  }
  for (const className of unique(camera.alertClasses)) {
    configs.push(
      entity('binary_sensor', `${topicLevel(className)}_occupancy`, {
        name: `${className} occupancy`,
        device_class: 'occupancy',
        state_topic: topics.objectCount(camera.id, className),
        // The state is the count in view: anything above 0 is someone there.
        value_template: "{{ 'ON' if (value | int(0)) > 0 else 'OFF' }}",
        payload_on: 'ON',
        payload_off: 'OFF',
      }),
    );
  }
  for (const line of unique(camera.lines)) {
    for (const direction of ['in', 'out'] as const) {
      configs.push(
        entity('sensor', `${topicLevel(line)}_${direction}`, {
          name: `${line} ${direction}`,
          state_topic: topics.lineCount(camera.id, line, direction),
          state_class: 'total_increasing',
          icon: direction === 'in' ? 'mdi:arrow-right-bold' : 'mdi:arrow-left-bold',
        }),
      );
    }
  }
  return configs;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
