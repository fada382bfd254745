/** A QoS 1 message the broker has not acknowledged yet; `sentOn` is the connection it went out on, if any. */
export interface PendingMessage<Connection> {
  topic: string;
  payload: string;
  sentOn: Connection | undefined;
}

/**
 * QoS 1 messages from the moment they are published until the broker acknowledges them, oldest
 * first and at most `max`: past that the oldest is dropped and counted. A message sent on a
 * connection that broke is sent again on the next one (QoS 1 is at least once).
 */
export class PendingQueue<Connection> {
  readonly #messages: PendingMessage<Connection>[] = [];
  #dropped = 0;

  constructor(readonly max: number) {}

  get length(): number {
    return this.#messages.length;
  }

  /** Messages dropped because the queue was full, since the integration was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues a message; true when the oldest one was dropped to make room. */
  add(topic: string, payload: string): boolean {
    this.#messages.push({ topic, payload, sentOn: undefined });
    if (this.#messages.length <= this.max) return false;
    // If it was in flight, its acknowledgement finds nothing to remove.
    this.#messages.shift();
    this.#dropped++;
    return true;
  }

  /** Messages not sent on a live connection, oldest first. */
  unsent(): PendingMessage<Connection>[] {
    return this.#messages.filter((message) => message.sentOn === undefined);
  }

  acknowledged(message: PendingMessage<Connection>): void {
    const index = this.#messages.indexOf(message);
    if (index >= 0) this.#messages.splice(index, 1);
  }

  /** The connection broke: what went out on it and was not acknowledged goes out again on the next. */
  connectionLost(connection: Connection): void {
    for (const message of this.#messages) if (message.sentOn === connection) message.sentOn = undefined;
  }
}
