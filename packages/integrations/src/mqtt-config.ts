import { Type as t, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A topic level or a run of levels: no wildcards, no empty level, no leading or trailing `/`. */
const TOPIC_PREFIX = '^[^#+/\\s]+(/[^#+/\\s]+)*$';

/**
 * The `mqtt` section of the server's config, as it is written there (snake_case). Every field
 * has a description and a default (`Value.Default` fills the gaps).
 */
export const MqttConfigSchema = t.Object(
  {
    enabled: t.Boolean({ default: true, description: 'Turn MQTT on or off (it runs when url is set).' }),
    url: t.String({
      default: '',
      pattern: '^$|^mqtts?://[^\\s/?#]+/?$',
      examples: ['mqtt://broker:1883', 'mqtts://broker:8883'],
      description: 'Broker: mqtt://host:1883, or mqtts://host:8883 for TLS (checked against ca_file, else the system\'s CAs); empty: MQTT is off.',
    }),
    username: t.String({ default: '', description: 'User name at the broker; empty: connect anonymously (never logged).' }),
    password: t.String({ default: '', description: 'Password at the broker (kept secret: never logged or shown).' }),
    topic_prefix: t.String({ default: 'cctv', pattern: TOPIC_PREFIX, description: 'First level(s) of every topic: <topic_prefix>/<client_id>/…' }),
    client_id: t.String({
      default: 'cctv',
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      description:
        'MQTT client id, the second topic level and the Home Assistant node id: letters, digits, _ and -. Give each server on a broker its own (two clients with one id keep throwing each other off).',
    }),
    ca_file: t.String({ default: '', description: 'PEM file of the CA that signed the broker\'s certificate (mqtts:// with a private CA); empty: the system\'s CAs.' }),
    home_assistant: t.Object(
      {
        discovery: t.Boolean({ default: true, description: 'Announce each camera to Home Assistant as a device (snapshot image, counts, occupancy, detection switch) through MQTT discovery.' }),
        prefix: t.String({ default: 'homeassistant', pattern: TOPIC_PREFIX, description: 'Home Assistant\'s discovery prefix; its birth message on <prefix>/status makes us announce again.' }),
      },
      { default: {}, additionalProperties: false, description: 'Home Assistant MQTT discovery.' },
    ),
    max_queued: t.Integer({ minimum: 1, default: 1000, description: 'Tracking events (QoS 1) kept while the broker is unreachable; beyond that the oldest are dropped (counted in the status).' }),
    reconnect_initial_s: t.Number({ minimum: 0.01, default: 1, description: 'First wait before reconnecting to the broker; doubled after each failure (with ±20 % jitter).' }),
    reconnect_max_s: t.Number({ minimum: 0.01, default: 60, description: 'Longest wait between reconnection attempts.' }),
  },
  { default: {}, additionalProperties: false, description: 'MQTT: camera status, counts, snapshots and tracking events to a broker, detection on/off from it, Home Assistant discovery.' },
);

export type MqttConfig = Static<typeof MqttConfigSchema>;

/** Every default of `MqttConfigSchema` (MQTT off: no url). */
export const MQTT_DEFAULTS = Value.Default(MqttConfigSchema, {}) as MqttConfig;

/** What `MqttIntegration` takes: the config, any field left out taking its default. */
export type MqttSettings = Partial<Omit<MqttConfig, 'home_assistant'>> & { home_assistant?: Partial<MqttConfig['home_assistant']> };

export function mqttConfig(settings: MqttSettings): MqttConfig {
  return { ...MQTT_DEFAULTS, ...settings, home_assistant: { ...MQTT_DEFAULTS.home_assistant, ...settings.home_assistant } };
}
